/**
 * Admin credentials worth their power (issue 12 item 11): `tsr_adm_…` tokens minted with a name,
 * scopes and an expiry, stored hashed, listed and revoked; a scope checked per admin route (write
 * implies read, `admin` is everything); admin requests audited with the token's id as actor; the
 * bootstrap token of the configuration still works with full power.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSecret } from '@tessera/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { requiredAdminScope } from '../../src/http/plugins/admin-auth.js';
import { resolveAdminToken } from '../../src/main.js';
import { runCommonRouteTests } from '../support/admin-routes.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';

let t: TestServer;
beforeAll(async () => {
  t = await bootstrap();
});
afterAll(async () => {
  await t.close();
});

async function mint(scopes: string[], extra: Record<string, unknown> = {}, headers = t.adminHeaders) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/admin/admin-tokens',
    headers,
    payload: { name: 'deploy bot', scopes, ...extra },
  });
  return response;
}

async function tokenWith(scopes: string[], extra: Record<string, unknown> = {}) {
  const response = await mint(scopes, extra);
  expect(response.statusCode, response.body).toBe(201);
  const body = response.json<{ id: string; token: string }>();
  return { id: body.id, token: body.token, headers: { authorization: `Bearer ${body.token}` } };
}

const newClient = { name: 'Made by a bot', grant_types: ['client_credentials'], scope: 'read' };

describe('admin tokens (issue 12 item 11)', () => {
  it('issue 12 item 11 — create shows a tsr_adm_ token once; it is stored as its SHA-256 (computed here) and never listed', async () => {
    const response = await mint(['clients:write'], { expires_in: '30d' });
    expect(response.statusCode).toBe(201);
    const body = response.json<{ id: string; token: string; expires_at: number; scopes: string[] }>();
    expect(parseSecret(body.token, 'adm')).toBeDefined();
    expect(body.expires_at).toBe(t.clock.now() + 30 * 86_400);
    expect(body.scopes).toEqual(['clients:write']);
    const digest = createHash('sha256').update(body.token, 'utf8').digest('base64url');
    const stored = await t.store.findAdminTokenByHash(digest);
    expect(stored?.id).toBe(body.id);
    const list = await t.app.inject({ method: 'GET', url: '/admin/admin-tokens', headers: t.adminHeaders });
    expect(list.body).not.toContain(body.token);
    expect(list.json().items.map((i: { id: string }) => i.id)).toContain(body.id);
  });

  it('issue 12 item 11 / RFC 6750 §3.1 — a scope per route: read allows GET only; a missing scope → 403 insufficient_scope', async () => {
    const reader = await tokenWith(['clients:read']);
    const get = await t.app.inject({ method: 'GET', url: '/admin/clients', headers: reader.headers });
    expect(get.statusCode).toBe(200);
    const post = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: reader.headers,
      payload: newClient,
    });
    expect(post.statusCode).toBe(403);
    expect(post.json()).toMatchObject({ error: 'insufficient_scope' });
    expect(post.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="clients:write"/);
    const keys = await t.app.inject({ method: 'GET', url: '/admin/signing-keys', headers: reader.headers });
    expect(keys.statusCode).toBe(403);
    const revoke = await t.app.inject({
      method: 'POST',
      url: '/admin/signing-keys/whatever/revoke',
      headers: reader.headers,
      payload: {},
    });
    expect(revoke.statusCode).toBe(403);
  });

  it('issue 12 item 11 — write implies read; admin is every scope', async () => {
    const writer = await tokenWith(['clients:write']);
    expect(
      (await t.app.inject({ method: 'GET', url: '/admin/clients', headers: writer.headers })).statusCode,
    ).toBe(200);
    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: writer.headers,
      payload: newClient,
    });
    expect(created.statusCode).toBe(201);
    const all = await tokenWith(['admin']);
    expect(
      (await t.app.inject({ method: 'GET', url: '/admin/signing-keys', headers: all.headers })).statusCode,
    ).toBe(200);
    expect(
      (await t.app.inject({ method: 'GET', url: '/admin/users', headers: all.headers })).statusCode,
    ).toBe(200);
  });

  it('issue 12 item 11 — admin requests are audited with the token id as actor', async () => {
    const writer = await tokenWith(['clients:write']);
    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: writer.headers,
      payload: newClient,
    });
    const clientId = created.json<{ client_id: string }>().client_id;
    await t.audit.flush();
    const events = (await t.store.listAudit({ limit: 500 })).items;
    expect(events.find((e) => e.type === 'client.created' && e.subject === clientId)?.actor).toBe(writer.id);
    const request = events.find((e) => e.type === 'admin.request' && e.actor === writer.id);
    expect(request).toMatchObject({
      subject: 'POST /admin/clients',
      data: { name: 'deploy bot', status: 201 },
    });
  });

  it('issue 12 item 11 — an expired or revoked admin token → 401 invalid_token', async () => {
    const shortLived = await tokenWith(['clients:read'], { expires_in: 60 });
    const longLived = await tokenWith(['clients:read']);
    t.clock.advance(61);
    const expired = await t.app.inject({ method: 'GET', url: '/admin/clients', headers: shortLived.headers });
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toMatchObject({ error: 'invalid_token' });
    const revoked = await t.app.inject({
      method: 'POST',
      url: `/admin/admin-tokens/${longLived.id}/revoke`,
      headers: t.adminHeaders,
    });
    expect(revoked.statusCode).toBe(200);
    const after = await t.app.inject({ method: 'GET', url: '/admin/clients', headers: longLived.headers });
    expect(after.statusCode).toBe(401);
  });

  it('issue 12 item 11 — a token cannot grant scopes it does not hold; unknown scopes → 400, nothing written', async () => {
    const minter = await tokenWith(['admin_tokens:write', 'clients:read']);
    const before = (await t.store.listAdminTokens()).length;
    const escalate = await mint(['admin'], {}, minter.headers);
    expect(escalate.statusCode).toBe(400);
    expect(escalate.json().error_description).toMatch(/Cannot grant admin/);
    const unknown = await mint(['clients:destroy']);
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ error: 'invalid_request' });
    expect((await t.store.listAdminTokens()).length).toBe(before);
    const ok = await mint(['clients:read'], {}, minter.headers);
    expect(ok.statusCode).toBe(201);
  });

  it('issue 12 item 11 — the bootstrap token of the configuration keeps full power', async () => {
    for (const url of ['/admin/clients', '/admin/signing-keys', '/admin/admin-tokens', '/admin/users']) {
      expect((await t.app.inject({ method: 'GET', url, headers: t.adminHeaders })).statusCode).toBe(200);
    }
  });
});

describe('the scope each admin route needs (issue 12 item 11)', () => {
  it('issue 12 item 11 — by area and method; an area not in the vocabulary needs admin', () => {
    expect(requiredAdminScope('GET', '/admin/clients/:id')).toBe('clients:read');
    expect(requiredAdminScope('PATCH', '/admin/clients/:id')).toBe('clients:write');
    expect(requiredAdminScope('POST', '/admin/signing-keys/:kid/revoke')).toBe('signing_keys:write');
    expect(requiredAdminScope('GET', '/admin/sessions')).toBe('users:read');
    expect(requiredAdminScope('POST', '/admin/tokens/revoke')).toBe('tokens:write');
    expect(requiredAdminScope('DELETE', '/admin/admin-tokens/:id')).toBe('admin_tokens:write');
    expect(requiredAdminScope('GET', '/admin/something-new')).toBe('admin');
    expect(requiredAdminScope('GET', '/admin/openapi.json')).toBeUndefined();
  });
});

describe('the bootstrap token of a fresh dev install (issue 12 item 11)', () => {
  it('issue 12 item 11 — the generated dev admin.token is a tsr_adm_ secret that scanners recognise', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-dev-token-'));
    const token = resolveAdminToken(loadConfig({ env: {}, overrides: { dev: true, dataDir } }));
    expect(parseSecret(token ?? '', 'adm')).toBeDefined();
  });
});

describe('/admin/admin-tokens routes', () => {
  runCommonRouteTests({
    setup: async () => ({}),
    snapshot: (s) => s.store.listAdminTokens(),
    routes: [
      {
        name: 'POST /admin/admin-tokens',
        method: 'POST',
        url: () => '/admin/admin-tokens',
        body: () => ({ name: 'x', scopes: ['clients:read'] }),
      },
      { name: 'GET /admin/admin-tokens', method: 'GET', url: () => '/admin/admin-tokens' },
      {
        name: 'POST /admin/admin-tokens/:id/revoke',
        method: 'POST',
        url: () => '/admin/admin-tokens/adt_unknown/revoke',
        malformedBodies: [],
        unknownIdUrl: '/admin/admin-tokens/adt_unknown/revoke',
      },
    ],
  });
});
