/**
 * POST /introspect (RFC 7662): JWT and opaque access tokens, and forged JWTs that must all be
 * inactive (RFC 8725 attacks).
 */
import { createPublicKey } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { basicAuthorization, createTestClient, FORM, form, type TestClient } from '../support/clients.js';

let t: TestServer;
let owner: TestClient;
let resourceServer: TestClient;

beforeAll(async () => {
  t = await bootstrap();
  owner = await createTestClient(t, { metadata: { tenant: 'acme' } });
  // An API server: may introspect any client's tokens (RFC 7662 §2.1 authorization).
  resourceServer = await createTestClient(t, { grantTypes: [], permissions: ['introspect'] });
});
afterAll(() => t.close());

async function issue(client: TestClient, params: Record<string, string> = {}): Promise<string> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { ...FORM, authorization: client.basic },
    payload: form({ grant_type: 'client_credentials', ...params }),
  });
  expect(response.statusCode).toBe(200);
  return response.json().access_token;
}

function introspect(
  params: Record<string, string | string[]>,
  authorization: string | null = resourceServer.basic,
) {
  return t.app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { ...FORM, ...(authorization === null ? {} : { authorization }) },
    payload: form(params),
  });
}

async function expectInactive(token: string): Promise<void> {
  const response = await introspect({ token });
  expect(response.statusCode).toBe(200);
  expect(response.json()).toEqual({ active: false });
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('RFC 7662 §2.1 / §4 — who may introspect (against token scanning)', () => {
  it('a client introspects its own token without any permission', async () => {
    const token = await issue(owner);
    const response = await introspect({ token }, owner.basic);
    expect(response.json()).toMatchObject({ active: true, client_id: owner.id });
  });

  it("another client without the introspect permission learns nothing about someone else's token", async () => {
    const stranger = await createTestClient(t, { grantTypes: [] });
    const token = await issue(owner);
    const response = await introspect({ token }, stranger.basic);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ active: false });
  });
});

describe('RFC 7662 §2 introspection of JWT access tokens', () => {
  it('RFC 7662 §2.2 — an active JWT → active with scope, client_id, sub, aud, iss, exp, iat, jti, token_type', async () => {
    const token = await issue(owner, { scope: 'read write' });
    const response = await introspect({ token });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    const claims = decodeJwt(token);
    expect(body).toMatchObject({
      active: true,
      scope: 'read write',
      client_id: owner.id,
      sub: owner.id,
      aud: 'https://api.example.com',
      iss: TEST_ISSUER,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      token_type: 'Bearer',
      tenant: 'acme',
    });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('RFC 7662 §2.1 — token_type_hint is only a hint: a wrong one is ignored', async () => {
    const token = await issue(owner);
    expect((await introspect({ token, token_type_hint: 'refresh_token' })).json().active).toBe(true);
    expect((await introspect({ token, token_type_hint: 'nonsense' })).json().active).toBe(true);
  });

  it('RFC 7662 §2.1 — client_secret_post works for the caller', async () => {
    const token = await issue(owner);
    const response = await introspect(
      { token, client_id: resourceServer.id, client_secret: resourceServer.secret },
      null,
    );
    expect(response.json().active).toBe(true);
  });

  it('RFC 7662 §2.2 — expired (clock advanced past exp) → inactive', async () => {
    const other = await bootstrap();
    try {
      const c = await createTestClient(other);
      const issued = await other.app.inject({
        method: 'POST',
        url: '/token',
        headers: { ...FORM, authorization: c.basic },
        payload: form({ grant_type: 'client_credentials' }),
      });
      const token = issued.json().access_token;
      const check = () =>
        other.app.inject({
          method: 'POST',
          url: '/introspect',
          headers: { ...FORM, authorization: c.basic },
          payload: form({ token }),
        });
      expect((await check()).json().active).toBe(true);
      other.clock.advance(601);
      expect((await check()).json()).toEqual({ active: false });
    } finally {
      await other.close();
    }
  });

  it('RFC 7662 §2.2 — unknown / malformed strings → inactive', async () => {
    for (const token of [
      'nope',
      'a.b.c',
      'eyJhbGciOiJub25lIn0..',
      'tsr_at_garbage',
      'x'.repeat(5000),
      '%00',
    ]) {
      await expectInactive(token);
    }
  });

  it('RFC 7662 §2.2 — a token of a deleted client → inactive', async () => {
    const doomed = await createTestClient(t);
    const token = await issue(doomed);
    await t.store.deleteClient(doomed.id);
    t.bus.publish('client.deleted', { clientId: doomed.id });
    await expectInactive(token);
  });
});

describe('RFC 8725 forged JWTs are inactive at introspection', () => {
  let genuine: string;
  let kid: string;

  beforeAll(async () => {
    genuine = await issue(owner);
    kid = decodeProtectedHeader(genuine).kid as string;
  });

  function payloadOf(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return { ...decodeJwt(genuine), jti: `forged-${Math.random()}`, ...overrides };
  }

  it('RFC 8725 §3.1 — alg none → inactive', async () => {
    await expectInactive(`${b64({ alg: 'none', typ: 'at+jwt', kid })}.${b64(payloadOf())}.`);
    await expectInactive(`${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(payloadOf())}.`);
  });

  it('RFC 7515 §5.2 — stripped signature → inactive', async () => {
    const [header, payload] = genuine.split('.');
    await expectInactive(`${header}.${payload}.`);
    await expectInactive(`${header}.${payload}`);
  });

  it('RFC 7515 §5.2 — tampered payload with the original signature → inactive', async () => {
    const [header, , signature] = genuine.split('.');
    await expectInactive(`${header}.${b64(payloadOf({ scope: 'admin' }))}.${signature}`);
  });

  it('RFC 8725 §2.1 — HS256 signed with the public key as the HMAC secret → inactive', async () => {
    const jwk = (await t.app.inject({ method: 'GET', url: '/jwks' }))
      .json()
      .keys.find((k: { kid: string }) => k.kid === kid);
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    for (const secret of [Buffer.from(pem), Buffer.from(JSON.stringify(jwk))]) {
      const forged = await new SignJWT(payloadOf())
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid })
        .sign(secret);
      await expectInactive(forged);
    }
  });

  /**
   * Signs with the server's OWN current signing key, so the signature, kid, alg, issuer and claims
   * are all genuine and only the header parameters a test names differ: deleting the check that
   * test is about makes the forgery active.
   */
  async function signedByServer(header: Record<string, unknown>): Promise<string> {
    const key = t.keyring.find(kid);
    if (key === undefined) {
      throw new Error('the genuine token kid is not in the keyring');
    }
    return new SignJWT(payloadOf())
      .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid, ...header })
      .sign(key.privateKey);
  }

  it('control: a token re-signed with the server key and the genuine header is active (the forgeries below differ only in what each names)', async () => {
    const response = await introspect({ token: await signedByServer({}) });
    expect(response.json()).toMatchObject({ active: true, client_id: owner.id });
  });

  it('RFC 8725 §3.10 — an embedded jwk header (attacker key) → inactive, though the server key signed it', async () => {
    const attacker = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(attacker.publicKey);
    await expectInactive(await signedByServer({ jwk }));
    // Even the server's own public key embedded is refused: the header itself is the problem.
    const own = t.keyring.jwks().keys.find((k) => k.kid === kid);
    await expectInactive(await signedByServer({ jwk: own }));
  });

  it('RFC 8725 §3.10 — a jku header pointing at an attacker → inactive, though the server key signed it', async () => {
    await expectInactive(await signedByServer({ jku: 'https://attacker.example/jwks' }));
  });

  it('RFC 8725 §3.10 — an x5u header pointing at an attacker → inactive, though the server key signed it', async () => {
    await expectInactive(await signedByServer({ x5u: 'https://attacker.example/cert.pem' }));
  });

  it('RFC 9068 §2.1 / RFC 8725 §3.11 — a typ other than at+jwt (an ID token, a plain JWT, none) → inactive, though the server key signed it', async () => {
    for (const typ of ['JWT', 'id_token', 'application/jwt']) {
      await expectInactive(await signedByServer({ typ }));
    }
    const key = t.keyring.find(kid);
    const untyped = await new SignJWT(payloadOf())
      .setProtectedHeader({ alg: key?.alg ?? 'ES256', kid })
      .sign(key?.privateKey ?? new Uint8Array(32));
    await expectInactive(untyped);
  });

  it('RFC 9068 §4 / RFC 7519 §4.1 — the server key signed it, but iss is foreign, exp has passed or a required claim is missing → inactive', async () => {
    const key = t.keyring.find(kid);
    if (key === undefined) {
      throw new Error('the genuine token kid is not in the keyring');
    }
    const claims = payloadOf();
    const signed = (payload: Record<string, unknown>) =>
      new SignJWT(payload).setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid }).sign(key.privateKey);
    await expectInactive(await signed({ ...claims, iss: 'https://impostor.example' }));
    await expectInactive(await signed({ ...claims, exp: Number(claims.iat) - 1 }));
    const { jti: _jti, ...withoutJti } = claims;
    await expectInactive(await signed(withoutJti));
  });

  it('RFC 7515 §4.1.4 — unknown kid → inactive', async () => {
    const attacker = await generateKeyPair('ES256');
    const forged = await new SignJWT(payloadOf())
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'unknown-kid' })
      .sign(attacker.privateKey);
    await expectInactive(forged);
  });

  it('RFC 7515 §4.1.4 — no kid → inactive', async () => {
    const attacker = await generateKeyPair('ES256');
    await expectInactive(
      await new SignJWT(payloadOf())
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
        .sign(attacker.privateKey),
    );
  });

  it('RFC 9068 §4 — wrong issuer (another Tessera) → inactive', async () => {
    const foreign = await bootstrap({ issuer: 'http://other-tessera.test' });
    try {
      const c = await createTestClient(foreign);
      const response = await foreign.app.inject({
        method: 'POST',
        url: '/token',
        headers: { ...FORM, authorization: c.basic },
        payload: form({ grant_type: 'client_credentials' }),
      });
      await expectInactive(response.json().access_token);
    } finally {
      await foreign.close();
    }
  });

  it('RFC 9068 §4 — same issuer name but another keyring (another Tessera) → inactive', async () => {
    const twin = await bootstrap();
    try {
      const c = await createTestClient(twin);
      const response = await twin.app.inject({
        method: 'POST',
        url: '/token',
        headers: { ...FORM, authorization: c.basic },
        payload: form({ grant_type: 'client_credentials' }),
      });
      const token = response.json().access_token;
      expect(decodeJwt(token).iss).toBe(TEST_ISSUER);
      await expectInactive(token);
    } finally {
      await twin.close();
    }
  });

  it('RFC 9068 §4 — a JWT signed by our key but with typ JWT is not an access token → inactive', async () => {
    // An ID token or any other JWT we sign must never pass as an access token (RFC 8725 §3.11).
    const [, payload, signature] = genuine.split('.');
    await expectInactive(`${b64({ alg: 'ES256', kid, typ: 'JWT' })}.${payload}.${signature}`);
  });
});

describe('RFC 7662 introspection of opaque access tokens', () => {
  it('RFC 7662 §2.2 — an active opaque token → active with its claims', async () => {
    const opaque = await createTestClient(t, { tokenFormat: 'opaque', metadata: { tenant: 'beta' } });
    const token = await issue(opaque, { scope: 'write', resource: 'https://other.example.com' });
    const body = (await introspect({ token })).json();
    expect(body).toMatchObject({
      active: true,
      scope: 'write',
      client_id: opaque.id,
      sub: opaque.id,
      aud: 'https://other.example.com',
      iss: TEST_ISSUER,
      token_type: 'Bearer',
      tenant: 'beta',
    });
    expect(body.exp - body.iat).toBe(600);
    expect(body.jti).toMatch(/^jti_/);
  });

  it('RFC 7662 §2.2 — an expired opaque token → inactive', async () => {
    const opaque = await createTestClient(t, { tokenFormat: 'opaque', accessTokenTtl: 30 });
    const token = await issue(opaque);
    expect((await introspect({ token })).json().active).toBe(true);
    t.clock.advance(31);
    await expectInactive(token);
  });

  it('DESIGN §3 — a tsr_at_ token with a bad checksum → inactive (no lookup)', async () => {
    const opaque = await createTestClient(t, { tokenFormat: 'opaque' });
    const token = await issue(opaque);
    await expectInactive(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`);
  });
});

describe('RFC 7662 §2.2 — a token introspected before (its answer built once)', () => {
  async function tokenOf(format: 'jwt' | 'opaque'): Promise<{ token: string; holder: TestClient }> {
    const holder = format === 'jwt' ? owner : await createTestClient(t, { tokenFormat: 'opaque' });
    return { token: await issue(holder), holder };
  }

  it.each(['jwt', 'opaque'] as const)(
    '%s: the same answer again, byte for byte, with application/json',
    async (format) => {
      const { token } = await tokenOf(format);
      const first = await introspect({ token });
      const again = await introspect({ token });
      expect(first.json()).toMatchObject({ active: true, token_type: 'Bearer' });
      expect(again.statusCode).toBe(200);
      expect(again.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(again.headers['cache-control']).toBe('no-store');
      expect(again.payload).toBe(first.payload);
    },
  );

  it.each(['jwt', 'opaque'] as const)(
    '%s: revoked after two active answers → inactive at once (the kept answer is never consulted before the denylist)',
    async (format) => {
      const { token, holder } = await tokenOf(format);
      expect((await introspect({ token })).json().active).toBe(true);
      expect((await introspect({ token })).json().active).toBe(true);
      const revoked = await t.app.inject({
        method: 'POST',
        url: '/revoke',
        headers: { ...FORM, authorization: holder.basic },
        payload: form({ token }),
      });
      expect(revoked.statusCode).toBe(200);
      await expectInactive(token);
    },
  );

  it.each(['jwt', 'opaque'] as const)(
    '%s: RFC 7662 §4 — a caller without the introspect permission learns nothing, though the answer was built for another',
    async (format) => {
      const { token } = await tokenOf(format);
      expect((await introspect({ token })).json().active).toBe(true);
      const stranger = await createTestClient(t, { grantTypes: [] });
      expect((await introspect({ token }, stranger.basic)).json()).toEqual({ active: false });
    },
  );

  it.each(['jwt', 'opaque'] as const)(
    '%s: RFC 7662 §2.2 — its client disabled after an active answer → inactive',
    async (format) => {
      const holder = await createTestClient(t, format === 'jwt' ? {} : { tokenFormat: 'opaque' });
      const token = await issue(holder);
      expect((await introspect({ token })).json().active).toBe(true);
      const disabled = await t.app.inject({
        method: 'PATCH',
        url: `/admin/clients/${holder.id}`,
        headers: t.adminHeaders,
        payload: { disabled: true },
      });
      expect(disabled.statusCode).toBe(200);
      await expectInactive(token);
    },
  );
});

describe('RFC 7662 §2.1 request rules', () => {
  it('RFC 7662 §2.1 — no client authentication → 401 invalid_client', async () => {
    const response = await introspect({ token: 'x' }, null);
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('RFC 7662 §2.1 — wrong secret with Basic → 401 invalid_client with WWW-Authenticate: Basic', async () => {
    const response = await introspect({ token: 'x' }, basicAuthorization(resourceServer.id, owner.secret));
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Basic /);
  });

  it('RFC 7662 §2.1 — missing token → invalid_request', async () => {
    const response = await introspect({});
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
  });

  it('RFC 6749 §3.2 — repeated token → invalid_request', async () => {
    expect((await introspect({ token: ['a', 'b'] })).json().error).toBe('invalid_request');
  });

  it('RFC 7662 §2.1 — GET → 405', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/introspect?token=x' })).statusCode).toBe(405);
  });

  it('RFC 7662 §2.1 — JSON body → 400 invalid_request', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { 'content-type': 'application/json', authorization: resourceServer.basic },
      payload: '{"token":"x"}',
    });
    expect(response.statusCode).toBe(400);
  });
});
