/**
 * POST /revoke (RFC 7009) and POST /admin/tokens/revoke: owner-only revocation, 200 for unknown
 * tokens, every revocation on the bus and the denylist (DESIGN §5).
 */
import type { RevocationEvent } from '@tessera/protocol';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/ids.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';

let t: TestServer;
let owner: TestClient;
let stranger: TestClient;
const events: RevocationEvent[] = [];

beforeAll(async () => {
  t = await bootstrap();
  owner = await createTestClient(t);
  stranger = await createTestClient(t, { permissions: ['introspect'] });
  t.bus.subscribe('revocation.created', (event) => events.push(event));
});
afterAll(() => t.close());

async function issue(client: TestClient): Promise<string> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { ...FORM, authorization: client.basic },
    payload: form({ grant_type: 'client_credentials' }),
  });
  expect(response.statusCode).toBe(200);
  return response.json().access_token;
}

function revoke(params: Record<string, string | string[]>, client: TestClient | null = owner) {
  return t.app.inject({
    method: 'POST',
    url: '/revoke',
    headers: { ...FORM, ...(client === null ? {} : { authorization: client.basic }) },
    payload: form(params),
  });
}

async function isActive(token: string): Promise<boolean> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { ...FORM, authorization: stranger.basic },
    payload: form({ token }),
  });
  return response.json().active as boolean;
}

function adminRevoke(body: unknown) {
  return t.app.inject({
    method: 'POST',
    url: '/admin/tokens/revoke',
    headers: t.adminHeaders,
    payload: body as Record<string, unknown>,
  });
}

describe('RFC 7009 §2 revocation', () => {
  it('RFC 7009 §2.2 — the owner revokes a JWT → 200; it then introspects inactive', async () => {
    const token = await issue(owner);
    expect(await isActive(token)).toBe(true);
    const response = await revoke({ token });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(await isActive(token)).toBe(false);
  });

  it('DESIGN §5 — a JWT revocation is one bus event: its jti until its exp', async () => {
    const token = await issue(owner);
    const claims = decodeJwt(token);
    const before = events.length;
    await revoke({ token, token_type_hint: 'access_token' });
    expect(events.slice(before)).toEqual([
      {
        id: expect.any(Number),
        target: { type: 'jti', value: claims.jti },
        revokedAt: t.clock.now(),
        expiresAt: claims.exp,
      },
    ]);
  });

  it.each(['jwt', 'opaque'] as const)(
    'RFC 7009 §2.1 / §2.2.1 — another client presenting a %s access token → 400 unauthorized_client (RFC 6749 §5.2 body), token untouched',
    async (format) => {
      const issuer = format === 'jwt' ? owner : await createTestClient(t, { tokenFormat: 'opaque' });
      const token = await issue(issuer);
      const before = events.length;
      const response = await revoke({ token }, stranger);
      expect(response.statusCode).toBe(400);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.json()).toMatchObject({ error: 'unauthorized_client' });
      expect(JSON.stringify(response.json())).not.toContain(token);
      expect(events.length).toBe(before);
      expect(await isActive(token)).toBe(true);
      // The rightful client still can.
      expect((await revoke({ token }, issuer)).statusCode).toBe(200);
      expect(await isActive(token)).toBe(false);
    },
  );

  it('RFC 7009 §2.2 — an unknown or invalid token → 200', async () => {
    for (const token of ['nope', 'a.b.c', 'tsr_at_garbage', 'tsr_rt_x']) {
      expect((await revoke({ token })).statusCode).toBe(200);
    }
  });

  it('RFC 7009 §2.1 — an unknown token_type_hint is ignored (the token is still revoked)', async () => {
    const token = await issue(owner);
    expect((await revoke({ token, token_type_hint: 'weird' })).statusCode).toBe(200);
    expect(await isActive(token)).toBe(false);
  });

  it('RFC 7009 §2.1 — revoking twice is fine', async () => {
    const token = await issue(owner);
    expect((await revoke({ token })).statusCode).toBe(200);
    expect((await revoke({ token })).statusCode).toBe(200);
  });

  it('RFC 7009 §2.1 — opaque token: the owner revokes it; it is marked in the store and inactive', async () => {
    const opaque = await createTestClient(t, { tokenFormat: 'opaque' });
    const token = await issue(opaque);
    expect((await revoke({ token }, stranger)).statusCode).toBe(400);
    expect(await isActive(token)).toBe(true);
    expect((await revoke({ token }, opaque)).statusCode).toBe(200);
    expect(await isActive(token)).toBe(false);
    expect((await t.store.findAccessToken(hashSecret(token)))?.revokedAt).toBe(t.clock.now());
  });

  it('RFC 7009 §2.1 — no client authentication → 401 invalid_client', async () => {
    const response = await revoke({ token: 'x' }, null);
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('RFC 7009 §2.1 — missing token → 400 invalid_request', async () => {
    const response = await revoke({});
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
  });

  it('RFC 7009 §2.1 — GET → 405, JSON → 400 invalid_request', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/revoke' })).statusCode).toBe(405);
    const json = await t.app.inject({
      method: 'POST',
      url: '/revoke',
      headers: { 'content-type': 'application/json', authorization: owner.basic },
      payload: '{"token":"x"}',
    });
    expect(json.statusCode).toBe(400);
  });

  it('DESIGN §5 — a revocation made on another node arrives on the bus and applies at once', async () => {
    const token = await issue(owner);
    const claims = decodeJwt(token);
    const event = await t.store.addRevocation(
      { type: 'jti', value: claims.jti as string },
      t.clock.now(),
      claims.exp as number,
    );
    expect(await isActive(token)).toBe(true);
    t.bus.publish('revocation.created', event);
    expect(await isActive(token)).toBe(false);
  });
});

describe('POST /admin/tokens/revoke', () => {
  it('revokes any client token by value', async () => {
    const token = await issue(owner);
    const response = await adminRevoke({ token });
    expect(response.statusCode).toBe(200);
    expect(await isActive(token)).toBe(false);
  });

  it('an unknown token → 404 not_found', async () => {
    expect((await adminRevoke({ token: 'nope' })).statusCode).toBe(404);
  });

  it('revokes by jti (default expiry: now + maxAccessTokenTtl)', async () => {
    const token = await issue(owner);
    const jti = decodeJwt(token).jti as string;
    const response = await adminRevoke({ jti });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      revoked: 'jti',
      jti,
      expires_at: t.clock.now() + t.config.tokens.maxAccessTokenTtl,
    });
    expect(await isActive(token)).toBe(false);
  });

  it('revokes by jti with an explicit expires_at; a past one → 400', async () => {
    expect((await adminRevoke({ jti: 'jti_x', expires_at: t.clock.now() + 60 })).statusCode).toBe(200);
    expect((await adminRevoke({ jti: 'jti_x', expires_at: t.clock.now() - 1 })).statusCode).toBe(400);
  });

  it('revokes every token a client holds (JWT and opaque); new tokens later work', async () => {
    const holder = await createTestClient(t);
    const jwt = await issue(holder);
    await t.store.updateClient(holder.id, { tokenFormat: 'opaque' }, t.clock.now());
    t.bus.publish('client.updated', { clientId: holder.id });
    const opaque = await issue(holder);
    const response = await adminRevoke({ client_id: holder.id });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ revoked: 'client', client_id: holder.id });
    expect(await isActive(jwt)).toBe(false);
    expect(await isActive(opaque)).toBe(false);
    t.clock.advance(1);
    expect(await isActive(await issue(holder))).toBe(true);
  });

  it('needs exactly one of token, jti, client_id', async () => {
    expect((await adminRevoke({})).statusCode).toBe(400);
    expect((await adminRevoke({ jti: 'a', client_id: 'b' })).statusCode).toBe(400);
    expect((await adminRevoke({ token: 1 })).statusCode).toBe(400);
    expect((await adminRevoke({ client_id: 'b', extra: 1 })).statusCode).toBe(400);
  });

  it('needs the admin credential', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/tokens/revoke',
      payload: { jti: 'x' },
    });
    expect(response.statusCode).toBe(401);
  });
});
