import { exportJWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateKeyPairFromDer } from '../../server/src/keys/keyring.js';
import { createJwtVerifier } from './jwt.js';

const ISSUER = 'https://auth.jwt.test';
const AUDIENCE = 'https://api.jwt.test';
const NOW = 1_900_000_000;
const pair = generateKeyPairFromDer('ec', { namedCurve: 'P-256' });
const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };

function accessToken(): Promise<string> {
  return new SignJWT({ sub: 'usr_1', client_id: 'cli_1', jti: `jti-${Math.random()}`, scope: 'read' })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(NOW - 10)
    .setExpirationTime(NOW + 300)
    .sign(pair.privateKey);
}

describe('JWKS discovery (jwt.ts)', () => {
  it('a failed discovery does not stick: the next token asks again, and the key set found is kept', async () => {
    let discoveries = 0;
    const jwt = createJwtVerifier({
      issuer: ISSUER,
      audience: [AUDIENCE],
      algorithms: ['ES256'],
      clockTolerance: 5,
      jwksUri: async () => {
        discoveries++;
        if (discoveries === 1) {
          throw new Error('discovery down');
        }
        return `${ISSUER}/jwks`;
      },
      cooldownMs: 30_000,
      cacheMaxAgeMs: 600_000,
      timeoutMs: 5_000,
      fetch: async () =>
        new Response(JSON.stringify(jwks), { status: 200, headers: { 'content-type': 'application/json' } }),
    });
    await expect(jwt.verify(await accessToken(), NOW)).rejects.toMatchObject({
      code: 'temporarily_unavailable',
    });
    await expect(jwt.verify(await accessToken(), NOW)).resolves.toMatchObject({ kid: 'k1' });
    await expect(jwt.verify(await accessToken(), NOW)).resolves.toMatchObject({ kid: 'k1' });
    expect(discoveries).toBe(2);
  });
});
