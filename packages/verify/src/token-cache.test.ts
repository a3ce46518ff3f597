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
      cache.set(facts(hash), 10);
    }
    expect(cache.size).toBe(3);
    expect(cache.get('e', 10)).toBeDefined();
  });

  it('keeps an entry hit since it was inserted and evicts the oldest one that was not', () => {
    const cache = createTokenCache({ max: 3 });
    for (const hash of ['a', 'b', 'c']) {
      cache.set(facts(hash), 10);
    }
    expect(cache.get('a', 10)?.hash).toBe('a');
    cache.set(facts('d'), 10);
    expect(cache.get('b', 10)).toBeUndefined();
    expect(['a', 'c', 'd'].map((hash) => cache.get(hash, 10)?.hash)).toEqual(['a', 'c', 'd']);
  });

  it('evicts the oldest when every entry was hit (second chance for all, then the first goes)', () => {
    const cache = createTokenCache({ max: 2 });
    cache.set(facts('a'), 10);
    cache.set(facts('b'), 10);
    cache.get('a', 10);
    cache.get('b', 10);
    cache.set(facts('c'), 10);
    expect(cache.size).toBe(2);
    expect(cache.get('a', 10)).toBeUndefined();
    expect(cache.get('c', 10)).toBeDefined();
  });

  it('RFC 7519 §4.1.4 — an entry is not served at or after its end, and is dropped', () => {
    const cache = createTokenCache({ max: 3 });
    cache.set(facts('a', 100), 10);
    expect(cache.get('a', 99)).toBeDefined();
    expect(cache.get('a', 100)).toBeUndefined();
    expect(cache.size).toBe(0);
    cache.set(facts('b', 100), 100);
    expect(cache.size).toBe(0);
  });

  it('max 0 caches nothing; evict removes what the predicate selects', () => {
    const off = createTokenCache({ max: 0 });
    off.set(facts('a'), 10);
    expect(off.size).toBe(0);
    const cache = createTokenCache({ max: 5 });
    for (const hash of ['a', 'b', 'c']) {
      cache.set(facts(hash), 10);
    }
    expect(cache.evict((entry) => entry.hash !== 'b')).toBe(2);
    expect(cache.get('b', 10)).toBeDefined();
    expect(cache.size).toBe(1);
  });
});
