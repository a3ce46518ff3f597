/**
 * The verified-token cache: a bounded map keyed by the token's SHA-256 (its `key` spelling,
 * token-hash.ts). A token seen again costs one hash and one lookup instead of a signature check or an introspection call. Each entry dies
 * with its token (`cacheUntil` is checked on every hit against the verifier's clock) and is evicted
 * at once when a revocation covers it.
 *
 * Replacement is CLOCK (second chance) over a ring of at most `max` places: a hit only marks its
 * entry used; when the cache is full, the hand walks the ring, clears the mark of each used entry it
 * passes and replaces the first unused one. Entries used since the hand last passed them stay, as
 * with an LRU, but a hit writes one field instead of relinking a list, and an insert walks the ring,
 * never the `Map`: iterating a `Map` from its oldest end steps over every entry deleted since V8
 * last compacted its table, thousands of them once the cache churns (7 µs an insert at 10,000
 * entries, docs/performance.md). A place whose entry was deleted (expired, revoked, cleared) is
 * taken before any live entry is evicted.
 */
import type { TokenFacts } from './verified-token.js';

/**
 * The cache.
 *
 * @example
 * ```ts
 * const cache = createTokenCache({ max: 10_000 });
 * cache.get(key, now); // TokenFacts | undefined
 * ```
 */
export interface TokenCache {
  /** The entry of a cache key (`tokenKeySync`), unless it has ended by `now`. */
  get(key: string, now: number): TokenFacts | undefined;
  /** Caches `facts` under the token's cache key (`tokenKeySync`, or `keyOfHash(facts.hash)`). */
  set(key: string, facts: TokenFacts, now: number): void;
  /** Deletes every entry the predicate selects; returns how many. */
  evict(select: (facts: TokenFacts) => boolean): number;
  clear(): void;
  readonly size: number;
  readonly max: number;
}

/** Sweep expired entries once per this many inserts, so dead tokens do not wait for eviction. */
const SWEEP_EVERY = 1024;

interface Slot {
  /** The entry, or undefined once it was deleted (its place in the ring is free). */
  facts: TokenFacts | undefined;
  /** The entry's key in `slots`. */
  key: string;
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
  /** The places, in the order the hand visits them; at most `max`. */
  const ring: Slot[] = [];
  let hand = 0;
  let inserts = 0;

  function remove(slot: Slot): void {
    slots.delete(slot.key);
    slot.facts = undefined;
  }

  function sweep(now: number): void {
    for (const slot of ring) {
      if (slot.facts !== undefined && slot.facts.cacheUntil <= now) {
        remove(slot);
      }
    }
  }

  /**
   * The clock hand: a free place for a new entry, the first deleted or unused one it reaches; a
   * used entry on its way gets a second chance, and an unused one is evicted only when the cache
   * is full. Ends within two turns: a full cache has an unused entry after one turn, and one that
   * is not full has a free place.
   */
  function placeFor(): Slot {
    if (ring.length < max) {
      const slot: Slot = { facts: undefined, key: '', used: false };
      ring.push(slot);
      return slot;
    }
    for (;;) {
      const slot = ring[hand] as Slot;
      hand = hand + 1 === ring.length ? 0 : hand + 1;
      if (slot.facts === undefined) {
        return slot;
      }
      if (slot.used) {
        slot.used = false;
      } else if (slots.size >= max) {
        remove(slot);
        return slot;
      }
    }
  }

  return {
    get(key, now) {
      const slot = slots.get(key);
      if (slot?.facts === undefined) {
        return undefined;
      }
      if (slot.facts.cacheUntil <= now) {
        remove(slot);
        return undefined;
      }
      slot.used = true;
      return slot.facts;
    },
    set(key, facts, now) {
      if (max === 0 || facts.cacheUntil <= now) {
        return;
      }
      inserts++;
      if (inserts % SWEEP_EVERY === 0) {
        sweep(now);
      }
      const existing = slots.get(key);
      if (existing !== undefined) {
        existing.facts = facts;
        existing.used = true;
        return;
      }
      const slot = placeFor();
      slot.facts = facts;
      slot.key = key;
      slot.used = false;
      slots.set(key, slot);
    },
    evict(select) {
      let count = 0;
      for (const slot of ring) {
        if (slot.facts !== undefined && select(slot.facts)) {
          remove(slot);
          count++;
        }
      }
      return count;
    },
    clear() {
      slots.clear();
      for (const slot of ring) {
        slot.facts = undefined;
      }
    },
    get size() {
      return slots.size;
    },
    max,
  };
}
