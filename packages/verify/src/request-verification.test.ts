import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TokenSourceOptions } from './bearer.js';
import { createRequestVerification } from './request-verification.js';
import { createTokenCache } from './token-cache.js';
import { hashOfKey, tokenKeySync } from './token-hash.js';
import type { TokenVerification } from './token-verification.js';
import type { TokenFacts } from './verified-token.js';
import { VerifyError } from './verify-error.js';

const SOURCES: TokenSourceOptions = { body: false, query: false, apiKeyHeader: 'x-api-key' };

function factsOf(hash: string, cacheUntil: number, scope: readonly string[] = ['read']): TokenFacts {
  return {
    hash,
    result: Object.freeze({
      tokenType: 'jwt' as const,
      subject: 'usr_1',
      clientId: 'cli_1',
      scope,
      claims: {},
      expiresAt: cacheUntil,
    }),
    jti: `jti-${hash}`,
    keyId: undefined,
    grantId: undefined,
    issuedAt: 1,
    cacheUntil,
    views: {},
  };
}

/** The hot path over a real cache that counts its lookups, a clock and a counted verification. */
function setup(times: number[]) {
  const cache = createTokenCache({ max: 100 });
  let lookups = 0;
  let verifications = 0;
  let tick = 0;
  const verification: TokenVerification = {
    async verifyOnce(_found, hash, at) {
      verifications++;
      return factsOf(hash, at + 300, ['read', 'write']);
    },
  };
  const requests = createRequestVerification({
    realm: 'https://api.example',
    sources: SOURCES,
    now: () => times[Math.min(tick++, times.length - 1)] ?? 0,
    cache: {
      get(key, at) {
        lookups++;
        return cache.get(key, at);
      },
      set: (key, facts, at) => cache.set(key, facts, at),
    },
    guard: { isFailingClosed: () => false, assertNotRevoked: () => {}, mayCache: () => true },
    verification,
  });
  return { requests, cache, lookups: () => lookups, verifications: () => verifications };
}

/** What `verifier.verify` does with a header string: `seen`, then on a miss the whole way. */
async function verifyLikeTheVerifier(
  requests: ReturnType<typeof setup>['requests'],
  header: string,
  scope?: string,
) {
  return requests.seen(header, scope) ?? (await requests.verify(header, scope));
}

describe('the miss path of a header string (request-verification.ts)', () => {
  it('an unseen token is looked up in the cache once: seen’s lookup stands for verify', async () => {
    const { requests, lookups, verifications } = setup([100, 100]);
    const token = await verifyLikeTheVerifier(requests, 'Bearer unseen.token.one');
    expect(token.subject).toBe('usr_1');
    expect(verifications()).toBe(1);
    expect(lookups()).toBe(1);
  });

  it('a lookup seen made in an earlier second is made again (an entry at its end is not served)', async () => {
    const { requests, cache, lookups, verifications } = setup([100, 101]);
    const header = 'Bearer ending.token.one';
    const key = tokenKeySync?.(header.slice(7)) ?? '';
    // Cached until 101 without the `write` scope: seen (at 100) finds it and refuses the scope;
    // verify (at 101) must not use that lookup, since the entry ended at 101.
    cache.set(key, factsOf(hashOfKey(key), 101), 100);
    const token = await verifyLikeTheVerifier(requests, header, 'write');
    expect(token.scope).toContain('write');
    expect(verifications()).toBe(1);
    expect(lookups()).toBe(2);
  });

  it('a token verified once is cached under its key and named by its base64url hash (revocations, DPoP ath)', async () => {
    const { requests, cache, verifications } = setup([100, 100, 100]);
    const header = 'Bearer fresh.token.one';
    const token = header.slice(7);
    await verifyLikeTheVerifier(requests, header);
    const cached = cache.get(tokenKeySync?.(token) ?? '', 100);
    expect(cached?.hash).toBe(createHash('sha256').update(token).digest('base64url'));
    expect(await verifyLikeTheVerifier(requests, header)).toBe(cached?.views.header);
    expect(verifications()).toBe(1);
  });

  it('a cached token seen refuses is refused by verify with the words of the refusal', async () => {
    const { requests, cache, lookups, verifications } = setup([100, 100]);
    const header = 'Bearer cached.token.one';
    const key = tokenKeySync?.(header.slice(7)) ?? '';
    cache.set(key, factsOf(hashOfKey(key), 400), 100);
    const refusal = await verifyLikeTheVerifier(requests, header, 'write').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(VerifyError);
    expect((refusal as VerifyError).code).toBe('insufficient_scope');
    expect(verifications()).toBe(0);
    expect(lookups()).toBe(1);
  });
});
