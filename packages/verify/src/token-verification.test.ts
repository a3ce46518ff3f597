import { OAuthError } from '@tessera/protocol';
import { describe, expect, it } from 'vitest';
import type { AccessTokenPayload } from './jwt.js';
import { createTokenFacts } from './token-facts.js';
import { createTokenVerification } from './token-verification.js';

const PAYLOAD: AccessTokenPayload = {
  iss: 'https://auth.example',
  sub: 'usr_1',
  aud: 'https://api.example',
  client_id: 'cli_1',
  jti: 'jti_1',
  iat: 100,
  exp: 400,
};

function setup() {
  let signatureChecks = 0;
  const verification = createTokenVerification({
    jwt: {
      async verify() {
        signatureChecks++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return { payload: PAYLOAD, kid: 'k1' };
      },
    },
    introspector: {
      introspect: async () => {
        throw OAuthError.temporarilyUnavailable('not in this test');
      },
    },
    facts: createTokenFacts({
      issuer: 'https://auth.example',
      audience: ['https://api.example'],
      clockTolerance: 5,
      introspectionTtl: 30,
    }),
  });
  return { verification, signatureChecks: () => signatureChecks };
}

describe('the cache-miss path (token-verification.ts)', () => {
  it('concurrent verifications of one token share one signature check', async () => {
    const { verification, signatureChecks } = setup();
    const found = { token: 'a.b.c', source: 'header' as const };
    const [first, second] = await Promise.all([
      verification.verifyOnce(found, 'hash-1', 100),
      verification.verifyOnce(found, 'hash-1', 100),
    ]);
    expect(first).toBe(second);
    expect(signatureChecks()).toBe(1);
    await verification.verifyOnce(found, 'hash-1', 100);
    expect(signatureChecks()).toBe(2);
  });

  it('a JWT in the API key header is refused even while the same JWT is being verified from Authorization', async () => {
    const { verification } = setup();
    const fromHeader = verification.verifyOnce({ token: 'a.b.c', source: 'header' }, 'hash-2', 100);
    const fromApiKeyHeader = verification.verifyOnce(
      { token: 'a.b.c', source: 'api_key_header' },
      'hash-2',
      100,
    );
    await Promise.all([
      expect(fromHeader).resolves.toMatchObject({ jti: 'jti_1' }),
      expect(fromApiKeyHeader).rejects.toMatchObject({ code: 'invalid_token' }),
    ]);
  });
});
