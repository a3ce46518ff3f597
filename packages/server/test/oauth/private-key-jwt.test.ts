/**
 * private_key_jwt client authentication: RFC 7523 §2.2 and §3, RFC 7521 §4.2, OIDC Core §9.
 */
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let t: TestServer;
let c: TestClient;
let privateKey: CryptoKey;
let publicJwk: JWK;

beforeAll(async () => {
  // The jwks_uri test below serves keys from 127.0.0.1: allowed only by this setting.
  t = await bootstrap({ 'clients.allowPrivateJwksUri': true });
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  c = await createTestClient(t, {
    tokenEndpointAuthMethod: 'private_key_jwt',
    secrets: [],
    jwks: { keys: [publicJwk as Record<string, unknown>] },
  });
});
afterAll(() => t.close());

interface AssertionOptions {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number | null;
  jti?: string | null;
  alg?: string;
  key?: CryptoKey | Uint8Array;
}

let counter = 0;
async function assertion(options: AssertionOptions = {}): Promise<string> {
  const now = t.clock.now();
  const claims: Record<string, unknown> = {
    iss: options.iss ?? c.id,
    sub: options.sub ?? c.id,
    aud: options.aud ?? TEST_ISSUER,
    iat: now,
  };
  if (options.exp !== null) {
    claims.exp = options.exp ?? now + 60;
  }
  if (options.jti !== null) {
    claims.jti = options.jti ?? `jti-${++counter}-${Math.random()}`;
  }
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'ES256', kid: 'k1' })
    .sign(options.key ?? privateKey);
}

function token(clientAssertion: string, extra: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/token',
    headers: FORM,
    payload: form({
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: clientAssertion,
      ...extra,
    }),
  });
}

function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part(header)}.${part(payload)}.${signature}`;
}

describe('RFC 7523 §2.2 / §3 private_key_jwt', () => {
  it('RFC 7523 §2.2 — a good assertion with aud = issuer → 200', async () => {
    const response = await token(await assertion());
    expect(response.statusCode).toBe(200);
  });

  it('RFC 7523 §3 item 3 — aud = the token endpoint URL → 200', async () => {
    expect((await token(await assertion({ aud: `${TEST_ISSUER}/token` }))).statusCode).toBe(200);
  });

  it('RFC 7523 §3 — client_id in the body matching the assertion → 200', async () => {
    expect((await token(await assertion(), { client_id: c.id })).statusCode).toBe(200);
  });

  it('RFC 7523 §3 — client_id in the body not matching sub → invalid_client', async () => {
    const other = await createTestClient(t, {
      tokenEndpointAuthMethod: 'private_key_jwt',
      secrets: [],
      jwks: { keys: [publicJwk as Record<string, unknown>] },
    });
    const response = await token(await assertion(), { client_id: other.id });
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('RFC 7523 §3 item 3 — wrong aud → invalid_client', async () => {
    const response = await token(await assertion({ aud: 'https://other-as.example.com' }));
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('RFC 7523 §3 items 1-2 — iss ≠ sub → invalid_client', async () => {
    expect((await token(await assertion({ iss: 'someone-else' }))).json().error).toBe('invalid_client');
  });

  it('RFC 7523 §3 item 7 — a replayed jti → invalid_client', async () => {
    const once = await assertion({ jti: 'replay-me' });
    expect((await token(once)).statusCode).toBe(200);
    const again = await token(once);
    expect(again.statusCode).toBe(401);
    expect(again.json().error).toBe('invalid_client');
  });

  it('RFC 7523 §3 item 7 — missing jti → invalid_client', async () => {
    expect((await token(await assertion({ jti: null }))).json().error).toBe('invalid_client');
  });

  it('RFC 7523 §3 item 4 — missing exp → invalid_client', async () => {
    expect((await token(await assertion({ exp: null }))).json().error).toBe('invalid_client');
  });

  it('RFC 7523 §3 item 4 — expired (clock advanced past exp) → invalid_client', async () => {
    const soon = await assertion();
    t.clock.advance(120);
    const response = await token(soon);
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('RFC 7523 §3 item 4 — exp far in the future → invalid_client', async () => {
    expect((await token(await assertion({ exp: t.clock.now() + 86_400 }))).json().error).toBe(
      'invalid_client',
    );
  });

  it('RFC 8725 §3.1 — alg none → invalid_client', async () => {
    const now = t.clock.now();
    const forged = unsigned(
      { alg: 'none' },
      { iss: c.id, sub: c.id, aud: TEST_ISSUER, exp: now + 60, jti: 'none-1' },
    );
    expect((await token(forged)).json().error).toBe('invalid_client');
  });

  it('RFC 8725 §3.1 — HS256 (a shared-secret MAC) → invalid_client', async () => {
    const hs = await assertion({ alg: 'HS256', key: new TextEncoder().encode('a'.repeat(32)) });
    expect((await token(hs)).json().error).toBe('invalid_client');
  });

  it('RFC 7515 §5.2 — signed by another key → invalid_client', async () => {
    const other = await generateKeyPair('ES256');
    expect((await token(await assertion({ key: other.privateKey }))).json().error).toBe('invalid_client');
  });

  it('RFC 7521 §4.2 — wrong client_assertion_type → invalid_client', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: FORM,
      payload: form({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:example:other',
        client_assertion: await assertion(),
      }),
    });
    expect(response.json().error).toBe('invalid_client');
  });

  it('RFC 7521 §4.2 — client_assertion without client_assertion_type → invalid_request', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: FORM,
      payload: form({ grant_type: 'client_credentials', client_assertion: await assertion() }),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
  });

  it('RFC 7521 §4.2 — a garbage assertion → invalid_client, never 500', async () => {
    for (const garbage of ['x', 'a.b.c', 'eyJ.eyJ.', '....']) {
      const response = await token(garbage);
      expect(response.statusCode).toBe(401);
      expect(response.json().error).toBe('invalid_client');
    }
  });

  it('RFC 6749 §2.3 — an assertion plus a client secret → invalid_request', async () => {
    const response = await token(await assertion(), { client_id: c.id, client_secret: 'tsr_cs_x' });
    expect(response.json().error).toBe('invalid_request');
  });

  it('OIDC Core §9 — a secret-less private_key_jwt client cannot use client_secret_post', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: FORM,
      payload: form({ grant_type: 'client_credentials', client_id: c.id, client_secret: 'tsr_cs_nothing' }),
    });
    expect(response.json().error).toBe('invalid_client');
  });

  it('OIDC Core §10.1.1 — keys from jwks_uri are fetched and cached', async () => {
    let fetches = 0;
    const server: Server = createServer((_request, response) => {
      fetches++;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const remote = await createTestClient(t, {
        tokenEndpointAuthMethod: 'private_key_jwt',
        secrets: [],
        jwksUri: `http://127.0.0.1:${port}/jwks`,
      });
      const sign = () =>
        new SignJWT({
          iss: remote.id,
          sub: remote.id,
          aud: TEST_ISSUER,
          exp: t.clock.now() + 60,
          jti: `r-${Math.random()}`,
        })
          .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
          .sign(privateKey);
      expect((await token(await sign())).statusCode).toBe(200);
      expect((await token(await sign())).statusCode).toBe(200);
      expect(fetches).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
