/**
 * Whether an API key's owner can still act, answered from memory (DESIGN §4: a key check is a hash
 * and a cache lookup). A key whose owner is disabled or gone answers `disabled`.
 *
 * - Client owners (`cli_…`) are read through the client registry, which the bus already keeps fresh.
 * - User owners (`usr_…`) are cached here in a bounded LRU and evicted by `user.updated`, which the
 *   user service publishes on every disable, enable and delete; the bus bridge carries it to every
 *   node, so a disabled person's keys stop everywhere at once and come back on re-enable. Events
 *   lost while this node's bus was down are covered by `events.missed`, which empties the cache;
 *   the TTL is the last safety net.
 * - Any other owner is not active: only clients and users can own keys.
 */
import { LRUCache } from 'lru-cache';
import type { EventBus } from '../../events/bus.js';

export interface OwnerStatus {
  /** The answer from memory when the owner is cached (no promise on the hot path), else a promise. */
  isActive(owner: string): boolean | Promise<boolean>;
  /** Unsubscribes from the bus. */
  close(): void;
}

export interface OwnerStatusDeps {
  /** A client by id, from memory (the client registry). */
  findClient(id: string): Promise<{ disabled: boolean } | undefined>;
  /** The client from memory without a promise; a symbol when only {@link findClient} can tell. */
  peekClient?(id: string): { disabled: boolean } | undefined | symbol;
  /** A user by id, from the store. */
  findUser(id: string): Promise<{ disabled: boolean } | undefined>;
  bus: Pick<EventBus, 'subscribe'>;
  max?: number;
  ttlMs?: number;
}

export function createOwnerStatus(deps: OwnerStatusDeps): OwnerStatus {
  const users = new LRUCache<string, boolean>({ max: deps.max ?? 10_000, ttl: deps.ttlMs ?? 60_000 });
  /** Bumped on every eviction: a load that started before one must not be cached. */
  let epoch = 0;

  function userActive(id: string): boolean | Promise<boolean> {
    const cached = users.get(id);
    return cached !== undefined ? cached : loadUser(id);
  }

  async function loadUser(id: string): Promise<boolean> {
    const started = epoch;
    const user = await deps.findUser(id);
    const active = user !== undefined && !user.disabled;
    if (epoch === started) {
      users.set(id, active);
    }
    return active;
  }

  const unsubscribers = [
    deps.bus.subscribe('user.updated', ({ userId }) => {
      epoch += 1;
      users.delete(userId);
    }),
    deps.bus.subscribe('events.missed', () => {
      epoch += 1;
      users.clear();
    }),
  ];

  return {
    isActive(owner) {
      if (owner.startsWith('cli_')) {
        if (deps.peekClient !== undefined) {
          const known = deps.peekClient(owner);
          if (typeof known !== 'symbol') {
            return known !== undefined && !known.disabled;
          }
        }
        return deps.findClient(owner).then((client) => client !== undefined && !client.disabled);
      }
      if (owner.startsWith('usr_')) {
        return userActive(owner);
      }
      return false;
    },
    close() {
      for (const unsubscribe of unsubscribers) {
        unsubscribe();
      }
    },
  };
}
