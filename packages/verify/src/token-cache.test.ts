import { describe, expect, it } from 'vitest';
import { createTokenCache } from './token-cache.js';
import type { TokenFacts } from './verified-token.js';

function facts(hash: string, cacheUntil = 1000): TokenFacts {
  return {
    hash,
    result: {
      tokenType: 'jwt',
      subject: 'usr_1',
      clientId: 'cli_1',
      scope: [],
      claims: {},
      expiresAt: cacheUntil,
    },
    jti: hash,
    keyId: undefined,
    grantId: undefined,
    issuedAt: 1,
    cacheUntil,
    views: {},
  };
}

describe('the verified-token cache (CLOCK replacement)', () => {
  it('never holds more than max entries', () => {
    const cache = createTokenCache({ max: 3 });
    for (const hash of ['a', 'b', 'c', 'd', 'e']) {
      cache.set(hash, facts(hash), 10);
    }
    expect(cache.size).toBe(3);
    expect(cache.get('e', 10)).toBeDefined();
  });

  it('keeps an entry hit since it was inserted and evicts the oldest one that was not', () => {
    const cache = createTokenCache({ max: 3 });
    for (const hash of ['a', 'b', 'c']) {
      cache.set(hash, facts(hash), 10);
    }
    expect(cache.get('a', 10)?.hash).toBe('a');
    cache.set('d', facts('d'), 10);
    expect(cache.get('b', 10)).toBeUndefined();
    expect(['a', 'c', 'd'].map((hash) => cache.get(hash, 10)?.hash)).toEqual(['a', 'c', 'd']);
  });

  it('evicts the oldest when every entry was hit (second chance for all, then the first goes)', () => {
    const cache = createTokenCache({ max: 2 });
    cache.set('a', facts('a'), 10);
    cache.set('b', facts('b'), 10);
    cache.get('a', 10);
    cache.get('b', 10);
    cache.set('c', facts('c'), 10);
    expect(cache.size).toBe(2);
    expect(cache.get('a', 10)).toBeUndefined();
    expect(cache.get('c', 10)).toBeDefined();
  });

  it('RFC 7519 §4.1.4 — an entry is not served at or after its end, and is dropped', () => {
    const cache = createTokenCache({ max: 3 });
    cache.set('a', facts('a', 100), 10);
    expect(cache.get('a', 99)).toBeDefined();
    expect(cache.get('a', 100)).toBeUndefined();
    expect(cache.size).toBe(0);
    cache.set('b', facts('b', 100), 100);
    expect(cache.size).toBe(0);
  });

  it('max 0 caches nothing; evict removes what the predicate selects', () => {
    const off = createTokenCache({ max: 0 });
    off.set('a', facts('a'), 10);
    expect(off.size).toBe(0);
    const cache = createTokenCache({ max: 5 });
    for (const hash of ['a', 'b', 'c']) {
      cache.set(hash, facts(hash), 10);
    }
    expect(cache.evict((entry) => entry.hash !== 'b')).toBe(2);
    expect(cache.get('b', 10)).toBeDefined();
    expect(cache.size).toBe(1);
  });

  it('takes the place of a revoked or expired entry before it evicts a live one', () => {
    const cache = createTokenCache({ max: 3 });
    for (const hash of ['a', 'b', 'c']) {
      cache.set(hash, facts(hash), 10);
    }
    expect(cache.evict((entry) => entry.hash === 'b')).toBe(1);
    cache.set('d', facts('d'), 10);
    expect(['a', 'c', 'd'].map((hash) => cache.get(hash, 10)?.hash)).toEqual(['a', 'c', 'd']);
    const expiring = createTokenCache({ max: 3 });
    for (const entry of [facts('a'), facts('b', 50), facts('c')]) {
      expiring.set(entry.hash, entry, 10);
    }
    expect(expiring.get('b', 50)).toBeUndefined();
    expiring.set('d', facts('d'), 10);
    expect(['a', 'c', 'd'].map((hash) => expiring.get(hash, 10)?.hash)).toEqual(['a', 'c', 'd']);
    cache.clear();
    expect(cache.size).toBe(0);
    for (const hash of ['g', 'h', 'i']) {
      cache.set(hash, facts(hash), 10);
    }
    expect(['g', 'h', 'i'].map((hash) => cache.get(hash, 10)?.hash)).toEqual(['g', 'h', 'i']);
  });

  it('an insert into a full, churning cache costs about a Map insert and delete (no walk over the Map)', () => {
    const MAX = 20_000;
    const pool = Array.from({ length: MAX * 1.2 }, (_, i) => facts(`h${i}`));
    /** CPU µs per call of `step` over the pool, cycled, after a warm-up of 1.5 turns. */
    function perCall(step: (entry: TokenFacts, index: number) => void): number {
      let next = 0;
      const call = (): void => {
        step(pool[next] as TokenFacts, next);
        next = (next + 1) % pool.length;
      };
      for (let i = 0; i < pool.length * 1.5; i++) {
        call();
      }
      const start = process.cpuUsage();
      for (let i = 0; i < 20_000; i++) {
        call();
      }
      const used = process.cpuUsage(start);
      return (used.user + used.system) / 20_000;
    }
    const cacheCosts: number[] = [];
    const floorCosts: number[] = [];
    for (let trial = 0; trial < 4; trial++) {
      const cache = createTokenCache({ max: MAX });
      cacheCosts.push(
        perCall((entry) => {
          if (cache.get(entry.hash, 10) === undefined) {
            cache.set(entry.hash, entry, 10);
          }
        }),
      );
      // The floor: the same misses on a bare Map of MAX entries, each insert deleting the oldest by key.
      const map = new Map<string, TokenFacts>();
      floorCosts.push(
        perCall((entry, index) => {
          if (map.get(entry.hash) === undefined) {
            map.set(entry.hash, entry);
            const oldest = pool[(index + pool.length - MAX) % pool.length] as TokenFacts;
            map.delete(oldest.hash);
          }
        }),
      );
    }
    // Walking the Map from its oldest end made the cache ~40 × the floor at this size.
    expect(Math.min(...cacheCosts) / Math.min(...floorCosts)).toBeLessThan(12);
  }, 30_000);
});
