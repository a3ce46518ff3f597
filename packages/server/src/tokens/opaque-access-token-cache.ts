/**
 * Opaque access-token records by the SHA-256 of the token, for introspection: a resource server
 * introspects the same token again and again, and each answer was one `SELECT` (DESIGN §4: "the hot
 * path is memory, not the database").
 *
 * The cache never decides whether a token is revoked: the introspector still checks the denylist
 * (`jti`, client, subject, family, session, consent) on every request, as for a JWT, and every
 * revocation of an opaque token goes through it (store mark and denylist entry both). On top of
 * that, the cache holds nothing a revocation could have changed:
 * - only a record that was live when read (not revoked, not expired) is kept;
 * - every `revocation.created` (of any kind, from this node, another node through the bus bridge, or
 *   a revocation-log poll that found what the bus lost) empties it, so the next lookup reads the
 *   row as the revocation left it; revocations are rare next to introspections;
 * - `events.missed` empties it (events other nodes sent while this node's bus was down are lost);
 * - a load that raced with either is not kept, so a stale row never sticks;
 * - entries expire after a TTL (default 60 s), a safety net should a cross-node event be lost.
 * Unknown hashes are not cached: a token issued on another node is found as soon as it is stored.
 */
import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events/bus.js';
import type { AccessTokenRecord, AccessTokenStore } from '../store/ports.js';

export interface OpaqueAccessTokenCache extends Pick<AccessTokenStore, 'findAccessToken'> {
  /**
   * What {@link findAccessToken} would answer from memory, without a promise: the live record kept
   * for this hash, or {@link NOT_CACHED} when only a read can tell (then use `findAccessToken`).
   * The same LRU entry `findAccessToken` reads, so it is emptied by the same events.
   */
  peek(hash: string): AccessTokenRecord | typeof NOT_CACHED;
  /** Unsubscribes from the bus. */
  close(): void;
}

/** {@link OpaqueAccessTokenCache.peek}'s answer when the record is not in memory. */
export const NOT_CACHED: unique symbol = Symbol('opaque access token not cached');

export interface OpaqueAccessTokenCacheDeps {
  store: Pick<AccessTokenStore, 'findAccessToken'>;
  bus: Pick<EventBus, 'subscribe'>;
  clock: Clock;
  max?: number;
  ttlMs?: number;
}

export function createOpaqueAccessTokenCache(deps: OpaqueAccessTokenCacheDeps): OpaqueAccessTokenCache {
  const live = new LRUCache<string, AccessTokenRecord>({
    max: deps.max ?? 10_000,
    ttl: deps.ttlMs ?? 60_000,
  });
  const loading = new Map<string, Promise<AccessTokenRecord | undefined>>();
  /** Bumped whenever the cache is emptied: a load that started before must not be kept. */
  let epoch = 0;

  function clear(): void {
    epoch += 1;
    live.clear();
    loading.clear();
  }

  async function load(hash: string): Promise<AccessTokenRecord | undefined> {
    const started = epoch;
    try {
      const record = await deps.store.findAccessToken(hash);
      if (
        epoch === started &&
        record !== undefined &&
        record.revokedAt === null &&
        record.expiresAt > deps.clock.now()
      ) {
        live.set(hash, Object.freeze(record));
      }
      return record;
    } finally {
      // After a clear the map no longer holds this load, and may hold a newer one: leave that.
      if (epoch === started) {
        loading.delete(hash);
      }
    }
  }

  const unsubscribe = [
    deps.bus.subscribe('revocation.created', clear),
    deps.bus.subscribe('events.missed', clear),
  ];

  return {
    peek(hash) {
      return live.get(hash) ?? NOT_CACHED;
    },
    findAccessToken(hash) {
      const record = live.get(hash);
      if (record !== undefined) {
        return Promise.resolve(record);
      }
      const inflight = loading.get(hash);
      if (inflight !== undefined) {
        return inflight;
      }
      const promise = load(hash);
      loading.set(hash, promise);
      return promise;
    },
    close() {
      for (const stop of unsubscribe) {
        stop();
      }
    },
  };
}
