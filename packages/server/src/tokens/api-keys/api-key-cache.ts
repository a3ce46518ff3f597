/**
 * API-key records by the SHA-256 of the key, served from memory (DESIGN §4: "an API-key check is a
 * hash and a cache lookup").
 *
 * - Bounded LRU for known keys, and a separate bounded LRU for unknown hashes (negative entries), so
 *   a flood of made-up keys can neither evict real keys nor cost a query per repeat.
 * - `api_key.updated` (every change, every node through the bus bridge) evicts by hash, which also
 *   clears a negative entry when a key is created; `revocation.created` for an `api_key` or an
 *   `api_key_changed` evicts by id (also when a revocation-log poll brings what the bus lost). A load that raced with an eviction is not cached, so a stale record never sticks.
 * - Entries also expire after a TTL, a safety net should a cross-node event be lost.
 * - `events.missed` empties the cache: events other nodes sent while this node's bus was down are
 *   lost, so nothing cached before can be trusted; every key is read again from the store.
 */
import { LRUCache } from 'lru-cache';
import type { EventBus } from '../../events/bus.js';
import type { ApiKeyRecord, ApiKeyStore } from '../../store/ports.js';

export interface ApiKeyCache {
  /** The record with this hash, or undefined when no key has it. */
  get(hash: string): Promise<ApiKeyRecord | undefined>;
  /**
   * What {@link get} would answer from memory, without a promise: the record, `undefined` for a hash
   * remembered as unknown, or {@link NOT_CACHED} when only a load can tell (then use {@link get}).
   */
  peek(hash: string): ApiKeyRecord | undefined | typeof NOT_CACHED;
  invalidate(target: { hash?: string; keyId?: string }): void;
  /** Unsubscribes from the bus. */
  close(): void;
}

/** {@link ApiKeyCache.peek}'s answer when the hash is not in memory. */
export const NOT_CACHED: unique symbol = Symbol('api key not cached');

export interface ApiKeyCacheDeps {
  store: Pick<ApiKeyStore, 'findApiKeyByHash'>;
  bus: Pick<EventBus, 'subscribe'>;
  max?: number;
  ttlMs?: number;
  negativeMax?: number;
  negativeTtlMs?: number;
}

export function createApiKeyCache(deps: ApiKeyCacheDeps): ApiKeyCache {
  const known = new LRUCache<string, ApiKeyRecord>({ max: deps.max ?? 10_000, ttl: deps.ttlMs ?? 60_000 });
  const unknown = new LRUCache<string, true>({
    max: deps.negativeMax ?? 10_000,
    ttl: deps.negativeTtlMs ?? 30_000,
  });
  const loading = new Map<string, Promise<ApiKeyRecord | undefined>>();
  /** Bumped on every eviction: a load that started before one must not be cached. */
  let epoch = 0;

  function invalidate(target: { hash?: string; keyId?: string }): void {
    epoch += 1;
    if (target.hash !== undefined) {
      known.delete(target.hash);
      unknown.delete(target.hash);
      loading.delete(target.hash);
    }
    if (target.keyId !== undefined) {
      for (const [hash, record] of known.entries()) {
        if (record.id === target.keyId) {
          known.delete(hash);
        }
      }
    }
  }

  async function load(hash: string): Promise<ApiKeyRecord | undefined> {
    const started = epoch;
    try {
      const record = await deps.store.findApiKeyByHash(hash);
      if (epoch === started) {
        if (record === undefined) {
          unknown.set(hash, true);
        } else {
          known.set(hash, record);
        }
      }
      return record;
    } finally {
      loading.delete(hash);
    }
  }

  function clear(): void {
    epoch += 1;
    known.clear();
    unknown.clear();
    loading.clear();
  }

  const unsubscribe = [
    deps.bus.subscribe('api_key.updated', (event) => invalidate({ hash: event.hash, keyId: event.keyId })),
    deps.bus.subscribe('events.missed', clear),
    deps.bus.subscribe('revocation.created', (event) => {
      if (event.target.type === 'api_key' || event.target.type === 'api_key_changed') {
        invalidate({ keyId: event.target.value });
      }
    }),
  ];

  return {
    get(hash) {
      const record = known.get(hash);
      if (record !== undefined) {
        return Promise.resolve(record);
      }
      if (unknown.has(hash)) {
        return Promise.resolve(undefined);
      }
      const pending = loading.get(hash);
      if (pending !== undefined) {
        return pending;
      }
      const promise = load(hash);
      loading.set(hash, promise);
      return promise;
    },
    peek(hash) {
      const record = known.get(hash);
      if (record !== undefined) {
        return record;
      }
      return unknown.has(hash) ? undefined : NOT_CACHED;
    },
    invalidate,
    close() {
      for (const stop of unsubscribe) {
        stop();
      }
    },
  };
}
