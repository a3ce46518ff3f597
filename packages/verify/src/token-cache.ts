/**
 * The verified-token cache: a bounded LRU keyed by the token's SHA-256. A token seen again costs
 * one hash and one lookup instead of a signature check or an introspection call. Each entry dies
 * with its token (`cacheUntil` is checked on every hit against the verifier's clock) and is evicted
 * at once when a revocation covers it.
 */
import { LRUCache } from 'lru-cache';
import type { TokenFacts } from './verified-token.js';

/**
 * The cache.
 *
 * @example
 * ```ts
 * const cache = createTokenCache({ max: 10_000 });
 * cache.get(hash, now); // TokenFacts | undefined
 * ```
 */
export interface TokenCache {
  get(hash: string, now: number): TokenFacts | undefined;
  set(facts: TokenFacts, now: number): void;
  /** Deletes every entry the predicate selects; returns how many. */
  evict(select: (facts: TokenFacts) => boolean): number;
  clear(): void;
  readonly size: number;
  readonly max: number;
}

/** Sweep expired entries once per this many inserts, so dead tokens do not wait for LRU pressure. */
const SWEEP_EVERY = 1024;

/**
 * Creates the cache; `max: 0` disables it.
 *
 * @example
 * ```ts
 * const cache = createTokenCache({ max: 0 }); // never caches
 * ```
 */
export function createTokenCache(options: { max: number }): TokenCache {
  const lru = options.max > 0 ? new LRUCache<string, TokenFacts>({ max: options.max }) : undefined;
  let inserts = 0;

  function sweep(now: number): void {
    if (lru === undefined) {
      return;
    }
    for (const [hash, facts] of lru.entries()) {
      if (facts.cacheUntil <= now) {
        lru.delete(hash);
      }
    }
  }

  return {
    get(hash, now) {
      const facts = lru?.get(hash);
      if (facts === undefined) {
        return undefined;
      }
      if (facts.cacheUntil <= now) {
        lru?.delete(hash);
        return undefined;
      }
      return facts;
    },
    set(facts, now) {
      if (lru === undefined || facts.cacheUntil <= now) {
        return;
      }
      inserts++;
      if (inserts % SWEEP_EVERY === 0) {
        sweep(now);
      }
      lru.set(facts.hash, facts);
    },
    evict(select) {
      if (lru === undefined) {
        return 0;
      }
      let count = 0;
      for (const [hash, facts] of lru.entries()) {
        if (select(facts)) {
          lru.delete(hash);
          count++;
        }
      }
      return count;
    },
    clear() {
      lru?.clear();
    },
    get size() {
      return lru?.size ?? 0;
    },
    max: options.max,
  };
}
