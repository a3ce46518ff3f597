/**
 * Pulling a compromised signing key (issue 11 item 8): `POST /admin/signing-keys/:kid/revoke`
 * removes it from `/jwks` at once, `/introspect` and `/userinfo` refuse its tokens, a `key`
 * revocation is published for the verifiers, and pulling the only signer is refused unless a
 * replacement is minted first.
 */
import type { RevocationEvent } from '@tessera/protocol';
import { decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCommonRouteTests } from '../support/admin-routes.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createUser,
  pkcePair,
  redeemCode,
  signIn,
} from '../support/login.js';

let t: TestServer;
let c: TestClient;

beforeEach(async () => {
  t = await bootstrap();
  c = await createTestClient(t, { permissions: ['introspect'] });
});
afterEach(async () => {
  await t.close();
});

async function clientToken(): Promise<string> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { ...FORM, authorization: c.basic },
    payload: form({ grant_type: 'client_credentials' }),
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ access_token: string }>().access_token;
}

async function userToken(): Promise<string> {
  await createUser(t);
  const app = await createCodeClient(t);
  const pkce = pkcePair();
  const { code } = await signIn(
    new Browser(t),
    authorizeUrl(app.client, {
      scope: 'openid',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    }),
  );
  const response = await redeemCode(t, app, { code, verifier: pkce.verifier });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ access_token: string }>().access_token;
}

async function publishedKids(): Promise<string[]> {
  const response = await t.app.inject({ method: 'GET', url: '/jwks' });
  return response.json<{ keys: { kid: string }[] }>().keys.map((k) => k.kid);
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { ...FORM, authorization: c.basic },
    payload: form({ token }),
  });
  expect(response.statusCode).toBe(200);
  return response.json();
}

function kidOf(token: string): string {
  const kid = decodeProtectedHeader(token).kid;
  if (typeof kid !== 'string') {
    throw new Error('token without kid');
  }
  return kid;
}

function revoke(kid: string, body: unknown = {}) {
  return t.app.inject({
    method: 'POST',
    url: `/admin/signing-keys/${kid}/revoke`,
    headers: t.adminHeaders,
    payload: body as Record<string, unknown>,
  });
}

async function rotateNow(): Promise<void> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/admin/signing-keys/rotate',
    headers: t.adminHeaders,
    payload: { now: true },
  });
  expect(response.statusCode).toBe(201);
}

describe('pulling a compromised signing key (issue 11 item 8)', () => {
  it('issue 11 item 8 — a pulled key leaves /jwks at once and its tokens are inactive at /introspect (cached ones too)', async () => {
    const token = await clientToken();
    const kid = kidOf(token);
    expect(await introspect(token)).toMatchObject({ active: true }); // now in the verified-token cache
    await rotateNow();
    expect(await publishedKids()).toContain(kid);

    const published: RevocationEvent[] = [];
    t.bus.subscribe('revocation.created', (event) => published.push(event));
    const response = await revoke(kid);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ kid, added: [] });

    expect(await publishedKids()).not.toContain(kid);
    expect(await introspect(token)).toEqual({ active: false });
    expect((await t.store.listSigningKeys()).map((k) => k.kid)).not.toContain(kid);
    // The `key` revocation the verifiers honour, published on the bus (and so on the stream).
    expect(published.map((e) => e.target)).toEqual([{ type: 'key', value: kid }]);
    await t.audit.flush();
    const audit = await t.store.listAudit({ type: 'signing_key.revoked', limit: 10 });
    expect(audit.items.map((e) => e.subject)).toEqual([kid]);
    // Tokens signed from now on use the replacement and stay valid.
    const fresh = await clientToken();
    expect(kidOf(fresh)).not.toBe(kid);
    expect(await introspect(fresh)).toMatchObject({ active: true });
  });

  it('issue 11 item 8 / RFC 6750 §3.1 — /userinfo refuses a token signed by a pulled key with 401 invalid_token', async () => {
    const token = await userToken();
    const ok = await t.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.statusCode).toBe(200);
    await rotateNow();
    expect((await revoke(kidOf(token))).statusCode).toBe(200);
    const refused = await t.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('issue 11 "Done when" — pulling the only key that signs its algorithm → 409 conflict, nothing changed', async () => {
    const token = await clientToken();
    const kid = kidOf(token);
    const before = { jwks: await publishedKids(), keys: await t.store.listSigningKeys() };
    const publish = vi.spyOn(t.bus, 'publish');
    const response = await revoke(kid);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ error: 'conflict' });
    expect(response.json().error_description).toMatch(/only key/);
    expect(publish).not.toHaveBeenCalled();
    publish.mockRestore();
    expect(await publishedKids()).toEqual(before.jwks);
    expect(await t.store.listSigningKeys()).toEqual(before.keys);
    expect(await introspect(token)).toMatchObject({ active: true });
  });

  it('issue 11 item 8 — with rotate: a replacement signs at once, then the only signer is pulled', async () => {
    const token = await clientToken();
    const kid = kidOf(token);
    const response = await revoke(kid, { rotate: true });
    expect(response.statusCode, response.body).toBe(200);
    const added = response.json<{ added: { kid: string; status: string }[] }>().added;
    expect(added).toHaveLength(1);
    expect(added[0]?.status).toBe('active');
    const kids = await publishedKids();
    expect(kids).not.toContain(kid);
    expect(kids).toContain(added[0]?.kid);
    expect(await introspect(token)).toEqual({ active: false });
    expect(kidOf(await clientToken())).toBe(added[0]?.kid);
  });

  it('issue 11 item 8 — a key pulled on another node is dropped here at once by its bus event', async () => {
    const token = await clientToken();
    const kid = kidOf(token);
    await rotateNow();
    // What the notify bridge delivers from another node that pulled the key.
    t.bus.publish('signing_key.revoked', { kid });
    expect(await publishedKids()).not.toContain(kid);
    expect(await introspect(token)).toEqual({ active: false });
  });
});

describe('a key revocation replayed from the store or the stream (issue 11 item 8)', () => {
  it('issue 11 item 8 — a key revocation event alone drops the key from /jwks and refuses its tokens', async () => {
    const token = await clientToken();
    const kid = kidOf(token);
    await rotateNow();
    const now = t.clock.now();
    t.bus.publish('revocation.created', {
      id: 1_000_000,
      target: { type: 'key', value: kid },
      revokedAt: now,
      expiresAt: now + 600,
    });
    expect(await publishedKids()).not.toContain(kid);
    expect(await introspect(token)).toEqual({ active: false });
  });
});

describe('POST /admin/signing-keys/:kid/revoke', () => {
  runCommonRouteTests({
    setup: async () => ({}),
    snapshot: (s) => s.store.listSigningKeys(),
    routes: [
      {
        name: 'POST /admin/signing-keys/:kid/revoke',
        method: 'POST',
        url: () => '/admin/signing-keys/kid_unknown_0123/revoke',
        body: () => ({ rotate: false }),
        unknownIdUrl: '/admin/signing-keys/kid_unknown_0123/revoke',
      },
    ],
  });
});
