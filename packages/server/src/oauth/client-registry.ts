/**
 * The client registry: ClientRecords by id, served from memory (DESIGN §4: the token hot path
 * touches no database row).
 *
 * - Bounded LRU; a miss loads from the store, and concurrent misses for one id share one load.
 * - Unknown ids are remembered briefly (negative cache), so a flood of made-up client ids costs one
 *   query per id per `negativeTtlMs`, not one per request.
 * - `client.updated` / `client.deleted` bus events (local, or relayed from other nodes) evict the
 *   entry. A load that raced with an eviction is not cached, so a stale record never sticks.
 * - Positive entries also expire after `ttlMs`, a safety net should a cross-node event be lost.
 * - `events.missed` empties the cache (events sent while this node's bus was down are lost), and a
 *   `client` revocation evicts that client, so a disable that reached this node only through the
 *   revocation poll still takes effect before the TTL.
 */
import { LRUCache } from 'lru-cache';
import type { EventBus } from '../events/bus.js';
import type { ClientRecord, ClientStore } from '../store/ports.js';

export interface ClientRegistry {
  /** The client, or undefined when unknown. */
  get(id: string): Promise<ClientRecord | undefined>;
  /** Forgets one client (also done on `client.updated` / `client.deleted`). */
  invalidate(id: string): void;
  /** Unsubscribes from the bus. */
  close(): void;
}

export interface ClientRegistryDeps {
  store: Pick<ClientStore, 'findClient'>;
  bus: EventBus;
  /** Most clients kept in memory (default 10 000). */
  maxEntries?: number;
  /** Milliseconds a loaded client is trusted without an event (default 5 minutes). */
  ttlMs?: number;
  /** Milliseconds an unknown id is remembered as unknown (default 5 s). */
  negativeTtlMs?: number;
}

/** Longest client id ever looked up: anything longer is garbage and never reaches the store. */
const MAX_ID_LENGTH = 128;

const UNKNOWN = Symbol('unknown client');

export function createClientRegistry(deps: ClientRegistryDeps): ClientRegistry {
  const negativeTtl = deps.negativeTtlMs ?? 5_000;
  const cache = new LRUCache<string, ClientRecord | typeof UNKNOWN>({
    max: deps.maxEntries ?? 10_000,
    ttl: deps.ttlMs ?? 300_000,
    // The hot path should not pay for a clock read per hit beyond what lru-cache needs.
    ttlAutopurge: false,
  });
  /** One load per id at a time; an eviction detaches the load in flight so its result is dropped. */
  const inflight = new Map<string, Promise<ClientRecord | undefined>>();

  function invalidate(id: string): void {
    cache.delete(id);
    inflight.delete(id);
  }

  function load(id: string): Promise<ClientRecord | undefined> {
    const pending = deps.store.findClient(id).then(
      (record) => {
        // Cache only if no eviction happened meanwhile (the load is still the current one).
        if (inflight.get(id) === pending) {
          inflight.delete(id);
          cache.set(id, record ?? UNKNOWN, record === undefined ? { ttl: negativeTtl } : {});
        }
        return record;
      },
      (error: unknown) => {
        if (inflight.get(id) === pending) {
          inflight.delete(id);
        }
        throw error;
      },
    );
    inflight.set(id, pending);
    return pending;
  }

  const unsubscribers = [
    deps.bus.subscribe('client.updated', ({ clientId }) => invalidate(clientId)),
    deps.bus.subscribe('client.deleted', ({ clientId }) => invalidate(clientId)),
    deps.bus.subscribe('revocation.created', ({ target }) => {
      if (target.type === 'client') {
        invalidate(target.value);
      }
    }),
    deps.bus.subscribe('events.missed', () => {
      cache.clear();
      inflight.clear();
    }),
  ];

  return {
    get(id) {
      if (id.length === 0 || id.length > MAX_ID_LENGTH) {
        return Promise.resolve(undefined);
      }
      const hit = cache.get(id);
      if (hit !== undefined) {
        return Promise.resolve(hit === UNKNOWN ? undefined : hit);
      }
      return inflight.get(id) ?? load(id);
    },
    invalidate,
    close() {
      for (const unsubscribe of unsubscribers) {
        unsubscribe();
      }
    },
  };
}
