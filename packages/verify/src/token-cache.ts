/**
 * The verified-token cache: a bounded map keyed by the token's SHA-256. A token seen again costs
 * one hash and one lookup instead of a signature check or an introspection call. Each entry dies
 * with its token (`cacheUntil` is checked on every hit against the verifier's clock) and is evicted
 * at once when a revocation covers it.
 *
 * Replacement is CLOCK (second chance) over the `Map`'s insertion order: a hit only marks its entry
 * used; when the cache is full, the oldest entries are looked at in turn, a used one is moved to the
 * young end with its mark cleared, and the first unused one goes. Entries used since they were last
 * looked at stay, as with an LRU, but a hit writes one field instead of relinking a list.
 */
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

/** Sweep expired entries once per this many inserts, so dead tokens do not wait for eviction. */
const SWEEP_EVERY = 1024;

interface Slot {
  facts: TokenFacts;
  /** Hit since the clock hand last passed it. */
  used: boolean;
}

/**
 * Creates the cache; `max: 0` disables it.
 *
 * @example
 * ```ts
 * const cache = createTokenCache({ max: 0 }); // never caches
 * ```
 */
export function createTokenCache(options: { max: number }): TokenCache {
  const max = options.max > 0 ? Math.floor(options.max) : 0;
  const slots = new Map<string, Slot>();
  let inserts = 0;

  function sweep(now: number): void {
    for (const [hash, slot] of slots) {
      if (slot.facts.cacheUntil <= now) {
        slots.delete(hash);
      }
    }
  }

  /** The clock hand: frees one place, giving each used entry on its way a second chance. */
  function evictOne(): void {
    for (const [hash, slot] of slots) {
      slots.delete(hash);
      if (!slot.used) {
        return;
      }
      slot.used = false;
      slots.set(hash, slot);
    }
  }

  return {
    get(hash, now) {
      const slot = slots.get(hash);
      if (slot === undefined) {
        return undefined;
      }
      if (slot.facts.cacheUntil <= now) {
        slots.delete(hash);
        return undefined;
      }
      slot.used = true;
      return slot.facts;
    },
    set(facts, now) {
      if (max === 0 || facts.cacheUntil <= now) {
        return;
      }
      inserts++;
      if (inserts % SWEEP_EVERY === 0) {
        sweep(now);
      }
      const existing = slots.get(facts.hash);
      if (existing !== undefined) {
        existing.facts = facts;
        existing.used = true;
        return;
      }
      if (slots.size >= max) {
        evictOne();
      }
      slots.set(facts.hash, { facts, used: false });
    },
    evict(select) {
      let count = 0;
      for (const [hash, slot] of slots) {
        if (select(slot.facts)) {
          slots.delete(hash);
          count++;
        }
      }
      return count;
    },
    clear() {
      slots.clear();
    },
    get size() {
      return slots.size;
    },
    max,
  };
}
