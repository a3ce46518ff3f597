/**
 * A token seen before is answered from the verified-token cache synchronously (no span, no promise
 * chain; `request-verification.ts` `seen`), and still gets every check a cached token got before:
 * its `exp` against the verifier's clock with the clock tolerance, the scope, the sign-in
 * requirement, the DPoP binding. Anything the cache cannot answer goes the whole way, which words
 * the refusal.
 * @see issue 18
 */
import { createHash } from 'node:crypto';
import { exportJWK, type JWK, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPairFromDer } from '../../server/src/keys/keyring.js';
import { createVerifier, type Verifier, VerifyError } from '../src/index.js';

const ISSUER = 'https://auth.seen.test';
const AUDIENCE = 'https://api.seen.test';
const START = 1_900_000_000;
const TOLERANCE = 5;

const pair = generateKeyPairFromDer('ec', { namedCurve: 'P-256' });
const jwks: { keys: JWK[] } = {
  keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }],
};

const verifiers: Verifier[] = [];
afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((v) => v.close()));
});

function setup() {
  const clock = { now: START };
  let jwksFetches = 0;
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    revocations: false,
    clockTolerance: TOLERANCE,
    now: () => clock.now,
    endpoints: { jwksUri: `${ISSUER}/jwks` },
    fetch: async () => {
      jwksFetches++;
      return new Response(JSON.stringify(jwks), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    },
  });
  verifiers.push(verifier);
  return { verifier, clock, jwksFetches: () => jwksFetches };
}

function token(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({
    iss: ISSUER,
    sub: 'usr_seen',
    aud: AUDIENCE,
    client_id: 'cli_seen',
    scope: 'read',
    iat: START - 10,
    exp: START + 300,
    jti: `jti-${Math.random()}`,
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt', ...header })
    .sign(pair.privateKey);
}

async function refusal(promise: Promise<unknown>): Promise<VerifyError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(VerifyError);
    return error as VerifyError;
  }
  throw new Error('expected a refusal');
}

describe('a token seen before (the cache hit path)', () => {
  it('is the same frozen result object, without a second signature check', async () => {
    const { verifier } = setup();
    const header = `Bearer ${await token()}`;
    const first = await verifier.verify(header);
    const again = verifier.verify(header);
    expect(again).toBeInstanceOf(Promise);
    expect(await again).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(verifier.status().cache.size).toBe(1);
  });

  it('RFC 7519 §4.1.4 / RFC 9068 §4 — is refused once past exp plus the clock tolerance, though cached', async () => {
    const { verifier, clock } = setup();
    const header = `Bearer ${await token()}`;
    await verifier.verify(header);
    // The last second the tolerance covers (jose: refused when exp <= now - tolerance).
    clock.now = START + 300 + TOLERANCE - 1;
    await expect(verifier.verify(header)).resolves.toMatchObject({ subject: 'usr_seen' });
    clock.now = START + 300 + TOLERANCE;
    const error = await refusal(verifier.verify(header));
    expect(error).toMatchObject({ code: 'invalid_token', description: 'The access token has expired' });
  });

  it('RFC 6750 §3.1 — a cached token without the needed scope is insufficient_scope (403), each time', async () => {
    const { verifier } = setup();
    const header = `Bearer ${await token()}`;
    await verifier.verify(header, { scope: 'read' });
    for (let i = 0; i < 2; i++) {
      const error = await refusal(verifier.verify(header, { scope: ['read', 'write'] }));
      expect(error).toMatchObject({ code: 'insufficient_scope', status: 403 });
      expect(error.wwwAuthenticate).toContain('scope="read write"');
    }
    await expect(verifier.verify(header, { scope: 'read' })).resolves.toMatchObject({ scope: ['read'] });
  });

  it('RFC 9470 §3 — a cached token from a sign-in too old for max_age gets insufficient_user_authentication', async () => {
    const { verifier, clock } = setup();
    const header = `Bearer ${await token({ auth_time: START - 100, acr: 'urn:tessera:acr:pwd' })}`;
    await expect(verifier.verify(header, { authentication: { maxAge: 200 } })).resolves.toBeDefined();
    clock.now = START + 101;
    const error = await refusal(verifier.verify(header, { authentication: { maxAge: 200 } }));
    expect(error).toMatchObject({ code: 'insufficient_user_authentication', status: 401 });
  });

  it('RFC 9449 §7.2 — a cached DPoP-bound token sent as a Bearer header string is refused each time', async () => {
    const { verifier } = setup();
    const raw = await token({ cnf: { jkt: 'x'.repeat(43) } });
    // Cached by a first presentation that fails only on the binding.
    await refusal(verifier.verify(`Bearer ${raw}`));
    expect(verifier.status().cache.size).toBe(1);
    const error = await refusal(verifier.verify(`Bearer ${raw}`));
    expect(error).toMatchObject({ code: 'invalid_token' });
    expect(error.description).toContain('DPoP-bound');
  });

  it('a `token` revocation (the base64url SHA-256 of the token) refuses a token the cache holds', async () => {
    const clock = { now: START };
    let push: (chunk: string) => void = () => {};
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      client: { clientId: 'cli_api', clientSecret: 'secret' },
      revocations: { minReconnectDelay: 0.02, maxReconnectDelay: 0.05 },
      now: () => clock.now,
      endpoints: { jwksUri: `${ISSUER}/jwks`, revocationStreamEndpoint: `${ISSUER}/revocations/stream` },
      fetch: async (input, init) => {
        if (String(input).endsWith('/jwks')) {
          return new Response(JSON.stringify(jwks), { headers: { 'content-type': 'application/json' } });
        }
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            push = (chunk) => controller.enqueue(new TextEncoder().encode(chunk));
            init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason));
            push('event: ready\ndata: {}\n\n');
          },
        });
        return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
      },
    });
    verifiers.push(verifier);
    await verifier.ready();
    const raw = await token();
    const header = `Bearer ${raw}`;
    await verifier.verify(header);
    await expect(verifier.verify(header)).resolves.toMatchObject({ subject: 'usr_seen' });
    const event = {
      id: 1,
      target: { type: 'token', value: createHash('sha256').update(raw).digest('base64url') },
      revokedAt: START,
      expiresAt: START + 3600,
    };
    push(`id: 1\nevent: revocation\ndata: ${JSON.stringify(event)}\n\n`);
    for (let i = 0; i < 100 && verifier.status().revocations.denylistSize === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(verifier.status().revocations.denylistSize).toBe(1);
    const error = await refusal(verifier.verify(header));
    expect(error).toMatchObject({ code: 'invalid_token', description: 'The access token has been revoked' });
  });

  it('a header that only differs in its token is a miss: a forged copy of a cached token is refused', async () => {
    const { verifier } = setup();
    const raw = await token();
    await verifier.verify(`Bearer ${raw}`);
    const [h, p, s] = raw.split('.') as [string, string, string];
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), scope: 'read admin' })).toString('base64url')}.${s}`;
    const error = await refusal(verifier.verify(`Bearer ${forged}`));
    expect(error).toMatchObject({
      code: 'invalid_token',
      description: 'The access token signature is invalid',
    });
  });
});
