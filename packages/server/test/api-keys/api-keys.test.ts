/**
 * API keys over HTTP on SQLite (issue 4): the admin API lifecycle, `POST /api-keys/verify`, RFC 7662
 * introspection of `tsr_key_…`, rate-limit headers, audit, and a restart that keeps everything.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import { type DpopKey, dpopKey, dpopProof, type ProofOptions } from '../support/dpop.js';

let t: TestServer;
let owner: TestClient;
let verifier: TestClient;
let outsider: TestClient;

beforeAll(async () => {
  t = await bootstrap();
  owner = await createTestClient(t);
  verifier = await createTestClient(t, { grantTypes: [], permissions: ['api_keys:verify'] });
  outsider = await createTestClient(t, { grantTypes: [] });
});
afterAll(() => t.close());

function admin(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  return t.app.inject({
    method,
    url: `/admin${url}`,
    headers: t.adminHeaders,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

async function createKey(
  body: Record<string, unknown> = {},
): Promise<{ key: string; id: string; view: Record<string, unknown> }> {
  const response = await admin('POST', '/api-keys', {
    name: 'CI key',
    owner: owner.id,
    scope: 'read',
    ...body,
  });
  expect(response.statusCode, response.body).toBe(201);
  const view = response.json();
  return { key: view.key, id: view.id, view };
}

function verify(key: unknown, client: TestClient | null = verifier) {
  return t.app.inject({
    method: 'POST',
    url: '/api-keys/verify',
    headers: client === null ? {} : { authorization: client.basic },
    payload: { key } as Record<string, unknown>,
  });
}

function introspect(token: string, client: TestClient = verifier) {
  return t.app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { ...FORM, authorization: client.basic },
    payload: form({ token }),
  });
}

describe('mint and show (issue 4 §1)', () => {
  it('POST /admin/api-keys → 201 with the key once; reads never show the key or its hash', async () => {
    const { key, id, view } = await createKey({
      meta: { plan: 'pro' },
      audiences: ['https://api.example.com'],
    });
    expect(key).toMatch(/^tsr_key_[0-9A-Za-z]{49}$/);
    expect(id).toMatch(/^key_/);
    expect(view).toMatchObject({
      name: 'CI key',
      owner: owner.id,
      scope: 'read',
      status: 'active',
      rate_limit: null,
    });
    expect(key.slice('tsr_key_'.length)).toMatch(new RegExp(`^${view.start}`));
    const show = await admin('GET', `/api-keys/${id}`);
    expect(show.statusCode).toBe(200);
    expect(show.body).not.toContain(key);
    expect(show.json()).not.toHaveProperty('key');
    expect(show.json()).not.toHaveProperty('hash');
    const list = await admin('GET', `/api-keys?owner=${owner.id}`);
    expect(list.body).not.toContain(key);
    expect(list.json().items.map((item: { id: string }) => item.id)).toContain(id);
  });

  it('lists by owner, page by page', async () => {
    const other = await createTestClient(t);
    for (let i = 0; i < 3; i++) {
      await createKey({ owner: other.id });
    }
    const first = await admin('GET', `/api-keys?owner=${other.id}&limit=2`);
    expect(first.json().items).toHaveLength(2);
    const second = await admin('GET', `/api-keys?owner=${other.id}&limit=2&cursor=${first.json().next}`);
    expect(second.json().items).toHaveLength(1);
    expect(second.json().next).toBeUndefined();
    expect((await admin('GET', '/api-keys?cursor=garbage')).statusCode).toBe(400);
  });

  it('refuses an owner that does not exist, a scope the owning client may not have, a bad rate limit, unknown fields', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ owner: 'cli_nope' }, 400, 'invalid_request'],
      [{ owner: 'usr_nope' }, 400, 'invalid_request'],
      [{ owner: 'someone' }, 400, 'invalid_request'],
      [{ scope: 'read superpowers' }, 400, 'invalid_scope'],
      [{ audiences: ['https://elsewhere.example'] }, 400, 'invalid_target'],
      [{ rate_limit: '100/1w' }, 400, 'invalid_request'],
      [{ rate_limit: { limit: 0, window: 60 } }, 400, 'invalid_request'],
      [{ expires_in: 'soon' }, 400, 'invalid_request'],
      [{ expires_at: 1 }, 400, 'invalid_request'],
      [{ meta: [1, 2] }, 400, 'invalid_request'],
      [{ hash: 'x' }, 400, 'invalid_request'],
      [{ name: '' }, 400, 'invalid_request'],
    ];
    const before = (await admin('GET', '/api-keys?limit=100')).json().items.length;
    for (const [body, status, error] of cases) {
      const response = await admin('POST', '/api-keys', {
        name: 'bad',
        owner: owner.id,
        scope: 'read',
        ...body,
      });
      expect(response.statusCode, JSON.stringify(body)).toBe(status);
      expect(response.json().error, JSON.stringify(body)).toBe(error);
    }
    expect((await admin('GET', '/api-keys?limit=100')).json().items.length).toBe(before);
  });

  it('unknown id → 404 not_found on every route', async () => {
    for (const [method, url] of [
      ['GET', '/api-keys/key_nope'],
      ['PATCH', '/api-keys/key_nope'],
      ['POST', '/api-keys/key_nope/disable'],
      ['POST', '/api-keys/key_nope/enable'],
      ['POST', '/api-keys/key_nope/revoke'],
      ['POST', '/api-keys/key_nope/rotate'],
    ] as const) {
      const response = await admin(method, url, method === 'PATCH' ? { name: 'x' } : undefined);
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error).toBe('not_found');
    }
  });

  it('the admin API needs the admin credential', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/admin/api-keys' });
    expect(response.statusCode).toBe(401);
  });
});

describe('POST /api-keys/verify (issue 4 §2)', () => {
  it('a valid key → 200 with key_id, owner, scope, meta, expires_at and rate_limit null', async () => {
    const { key, id } = await createKey({ scope: 'read write', meta: { plan: 'pro' }, expires_in: '30d' });
    const response = await verify(key);
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual({
      valid: true,
      key_id: id,
      owner: owner.id,
      name: 'CI key',
      scope: 'read write',
      audiences: [],
      meta: { plan: 'pro' },
      expires_at: t.clock.now() + 30 * 86_400,
      rate_limit: null,
    });
  });

  it('accepts a form body and client_secret_post', async () => {
    const { key } = await createKey();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api-keys/verify',
      headers: FORM,
      payload: form({ key, client_id: verifier.id, client_secret: verifier.secret }),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().valid).toBe(true);
  });

  it('unknown, malformed and bad-checksum keys get the same not_found answer', async () => {
    const { key } = await createKey();
    const answers = await Promise.all(
      [
        `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`,
        'tsr_key_nope',
        'hello',
        `tsr_key_${'A'.repeat(49)}`,
      ].map(async (candidate) => {
        const response = await verify(candidate);
        return [response.statusCode, response.body];
      }),
    );
    for (const answer of answers) {
      expect(answer).toEqual([200, '{"valid":false,"code":"not_found"}']);
    }
  });

  it('RFC 6749 §2.3 — no client authentication → 401 invalid_client; no api_keys:verify permission → 403', async () => {
    const { key } = await createKey();
    expect((await verify(key, null)).statusCode).toBe(401);
    const denied = await verify(key, outsider);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error).toBe('access_denied');
    expect(denied.body).not.toContain(key);
  });

  it('RFC 6749 §2.3.1 — client credentials in the URL query → 400 invalid_request, even beside valid Basic credentials', async () => {
    const { key } = await createKey();
    for (const query of [
      `client_id=${verifier.id}&client_secret=${verifier.secret}`,
      `client_assertion=${verifier.secret}`,
    ]) {
      const response = await t.app.inject({
        method: 'POST',
        url: `/api-keys/verify?${query}`,
        headers: { authorization: verifier.basic },
        payload: { key },
      });
      expect(response.statusCode, query).toBe(400);
      expect(response.json().error).toBe('invalid_request');
      expect(response.body).not.toContain(verifier.secret);
      expect(response.body).not.toContain(key);
    }
  });

  it('a missing or non-string key → 400 invalid_request', async () => {
    expect((await verify(undefined)).json().error).toBe('invalid_request');
    expect((await verify(42)).statusCode).toBe(400);
    const array = await t.app.inject({
      method: 'POST',
      url: '/api-keys/verify',
      headers: { authorization: verifier.basic, 'content-type': 'application/json' },
      payload: '[1]',
    });
    expect(array.statusCode).toBe(400);
  });

  it('draft-ietf-httpapi-ratelimit-headers — RateLimit and RateLimit-Policy on every answer; 429 with Retry-After once used up', async () => {
    const { key } = await createKey({ rate_limit: '2/1m' });
    const first = await verify(key);
    expect(first.statusCode).toBe(200);
    // The caller's own limit (api_key_verify) is listed first; the key's policy follows.
    expect(first.headers['ratelimit-policy']).toMatch(/, "api_key";q=2;w=60$/);
    expect(first.headers.ratelimit).toMatch(/, "api_key";r=1;t=\d+$/);
    expect(first.json().rate_limit).toMatchObject({ limit: 2, remaining: 1 });
    expect((await verify(key)).statusCode).toBe(200);
    const limited = await verify(key);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({
      valid: false,
      code: 'rate_limited',
      rate_limit: { limit: 2, remaining: 0 },
    });
    const reset = limited.json().rate_limit.reset;
    expect(limited.headers['retry-after']).toBe(String(reset));
    expect(limited.headers.ratelimit).toMatch(new RegExp(`, "api_key";r=0;t=${reset}$`));
  });
});

describe('lifecycle (issue 4 §3)', () => {
  it('PATCH changes scope, meta, name and rate limit without changing the key; verification sees it at once', async () => {
    const { key, id } = await createKey();
    expect((await verify(key)).json().scope).toBe('read');
    const patched = await admin('PATCH', `/api-keys/${id}`, {
      scope: ['read', 'write'],
      meta: { tier: 2 },
      name: 'renamed',
      rate_limit: { limit: 5, window: '1m', kind: 'sliding' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      scope: 'read write',
      meta: { tier: 2 },
      name: 'renamed',
      rate_limit: { limit: 5, window: 60, kind: 'sliding' },
    });
    const result = (await verify(key)).json();
    expect(result).toMatchObject({
      valid: true,
      scope: 'read write',
      meta: { tier: 2 },
      rate_limit: { limit: 5, remaining: 4, kind: 'sliding' },
    });
    const cleared = await admin('PATCH', `/api-keys/${id}`, { rate_limit: null });
    expect(cleared.json().rate_limit).toBeNull();
    expect((await verify(key)).json().rate_limit).toBeNull();
    expect((await admin('PATCH', `/api-keys/${id}`, {})).statusCode).toBe(400);
    expect((await admin('PATCH', `/api-keys/${id}`, { owner: outsider.id })).statusCode).toBe(400);
  });

  it('the answer of a key without a rate limit, built once, follows every change at once', async () => {
    const { key, id } = await createKey({ meta: { tier: 1 } });
    const first = await verify(key);
    expect((await verify(key)).body).toBe(first.body);
    expect(first.json()).toMatchObject({ valid: true, name: 'CI key', scope: 'read', meta: { tier: 1 } });
    const patched = await admin('PATCH', `/api-keys/${id}`, {
      name: 'renamed',
      scope: ['read', 'write'],
      meta: { tier: 2 },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect((await verify(key)).json()).toMatchObject({
      valid: true,
      name: 'renamed',
      scope: 'read write',
      meta: { tier: 2 },
      rate_limit: null,
    });
    expect((await admin('POST', `/api-keys/${id}/disable`)).statusCode).toBe(200);
    expect((await verify(key)).json()).toMatchObject({ valid: false, code: 'disabled' });
    expect((await admin('POST', `/api-keys/${id}/enable`)).statusCode).toBe(200);
    expect((await verify(key)).json()).toMatchObject({ valid: true, name: 'renamed' });
    expect((await admin('POST', `/api-keys/${id}/revoke`)).statusCode).toBe(200);
    expect((await verify(key)).json()).toMatchObject({ valid: false, code: 'revoked' });
  });

  it('disable → disabled; enable → valid again', async () => {
    const { key, id } = await createKey();
    const disabled = await admin('POST', `/api-keys/${id}/disable`);
    expect(disabled.json()).toMatchObject({ status: 'disabled', disabled: true });
    expect((await verify(key)).json()).toEqual({
      valid: false,
      code: 'disabled',
      key_id: id,
      owner: owner.id,
    });
    expect((await admin('POST', `/api-keys/${id}/enable`)).json().status).toBe('active');
    expect((await verify(key)).json().valid).toBe(true);
  });

  it('expiry: valid until expires_at, then expired', async () => {
    const { key, id } = await createKey({ expires_in: '1h' });
    expect((await verify(key)).json().valid).toBe(true);
    t.clock.advance(3600);
    expect((await verify(key)).json()).toEqual({
      valid: false,
      code: 'expired',
      key_id: id,
      owner: owner.id,
    });
    expect((await admin('GET', `/api-keys/${id}`)).json().status).toBe('expired');
  });

  it('revoke → revoked at once, streamed as a revocation, idempotent; a revoked key cannot change (409)', async () => {
    const { key, id } = await createKey();
    expect((await verify(key)).json().valid).toBe(true);
    const revoked = await admin('POST', `/api-keys/${id}/revoke`);
    expect(revoked.json()).toMatchObject({ status: 'revoked', revoked_at: t.clock.now() });
    expect((await verify(key)).json()).toEqual({
      valid: false,
      code: 'revoked',
      key_id: id,
      owner: owner.id,
    });
    const streamed = await t.store.listActiveRevocations(t.clock.now());
    expect(streamed.some((event) => event.target.type === 'api_key' && event.target.value === id)).toBe(true);
    expect((await admin('POST', `/api-keys/${id}/revoke`)).statusCode).toBe(200);
    for (const [method, url] of [
      ['POST', `/api-keys/${id}/enable`],
      ['POST', `/api-keys/${id}/rotate`],
      ['PATCH', `/api-keys/${id}`],
    ] as const) {
      const response = await admin(method, url, method === 'PATCH' ? { name: 'x' } : undefined);
      expect(response.statusCode, url).toBe(409);
      expect(response.json().error).toBe('conflict');
    }
  });

  it('rotate: a new key with the same settings; the old one works for the default 24 h grace, then expires', async () => {
    const { key, id } = await createKey({ scope: 'read write', meta: { team: 'a' }, rate_limit: '100/1m' });
    const rotated = await admin('POST', `/api-keys/${id}/rotate`);
    expect(rotated.statusCode, rotated.body).toBe(201);
    const next = rotated.json();
    expect(next.key).toMatch(/^tsr_key_/);
    expect(next.key).not.toBe(key);
    expect(next).toMatchObject({
      scope: 'read write',
      meta: { team: 'a' },
      rate_limit: { limit: 100, window: 60 },
      owner: owner.id,
    });
    expect(next.previous).toMatchObject({ id, replaced_by: next.id, expires_at: t.clock.now() + 86_400 });
    expect((await verify(next.key)).json()).toMatchObject({ valid: true, key_id: next.id });
    expect((await verify(key)).json()).toMatchObject({ valid: true, key_id: id });
    t.clock.advance(86_400);
    expect((await verify(key)).json().code).toBe('expired');
    expect((await verify(next.key)).json().valid).toBe(true);
    // Rotating the old key again would fork it: rotate the replacement instead.
    expect((await admin('POST', `/api-keys/${id}/rotate`)).statusCode).toBe(409);
  });

  it('rotate with grace 0: the old key stops at once (revoked and streamed)', async () => {
    const { key, id } = await createKey();
    const rotated = await admin('POST', `/api-keys/${id}/rotate`, { grace: 0 });
    expect(rotated.json().previous.status).toBe('revoked');
    expect((await verify(key)).json().code).toBe('revoked');
    expect((await verify(rotated.json().key)).json().valid).toBe(true);
    expect(
      (await admin('POST', `/api-keys/${rotated.json().id}/rotate`, { grace: '2h' })).json().previous
        .expires_at,
    ).toBe(t.clock.now() + 7200);
    expect((await admin('POST', `/api-keys/${id}/rotate`, { grace: 'forever' })).statusCode).toBe(400);
  });
});

describe('RFC 7662 introspection of API keys', () => {
  it('RFC 7662 §2.2 — an active key → active, scope, client_id and sub = owner, iat, exp, token_type api_key, key_id', async () => {
    const { key, id } = await createKey({
      scope: 'read',
      expires_in: '1d',
      audiences: ['https://api.example.com'],
    });
    const response = await introspect(key);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      active: true,
      scope: 'read',
      client_id: owner.id,
      sub: owner.id,
      aud: 'https://api.example.com',
      iat: t.clock.now(),
      exp: t.clock.now() + 86_400,
      token_type: 'api_key',
      key_id: id,
    });
  });

  it('RFC 7662 §2.2 — revoked, disabled, unknown or malformed keys → {"active": false}; so is any key for a caller without api_keys:verify', async () => {
    const { key, id } = await createKey();
    expect((await introspect(key, outsider)).json()).toEqual({ active: false });
    expect((await introspect(`${key.slice(0, -2)}zz`)).json()).toEqual({ active: false });
    await admin('POST', `/api-keys/${id}/disable`);
    expect((await introspect(key)).json()).toEqual({ active: false });
    await admin('POST', `/api-keys/${id}/enable`);
    expect((await introspect(key)).json().active).toBe(true);
    await admin('POST', `/api-keys/${id}/revoke`);
    expect((await introspect(key)).json()).toEqual({ active: false });
  });
});

describe('audit (issue 4 §6)', () => {
  it('records created, updated, disabled, enabled, rotated and revoked, with the display start and never the key', async () => {
    const { key, id, view } = await createKey();
    await admin('PATCH', `/api-keys/${id}`, { name: 'n' });
    await admin('POST', `/api-keys/${id}/disable`);
    await admin('POST', `/api-keys/${id}/enable`);
    const rotated = (await admin('POST', `/api-keys/${id}/rotate`)).json();
    await admin('POST', `/api-keys/${rotated.id}/revoke`);
    await t.audit.flush();
    const events = (await t.store.listAudit({ limit: 500 })).items
      .filter((event) => event.subject === id || event.subject === rotated.id)
      .sort((a, b) => a.id - b.id);
    expect(events.map((event) => event.type)).toEqual([
      'api_key.created',
      'api_key.updated',
      'api_key.disabled',
      'api_key.enabled',
      'api_key.rotated',
      'api_key.revoked',
    ]);
    expect(events[0]?.data).toMatchObject({ start: view.start, owner: owner.id });
    const text = JSON.stringify(events);
    expect(text).not.toContain(key);
    expect(text).not.toContain(rotated.key);
  });
});

describe('discovery', () => {
  it('advertises the verification endpoint', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    expect(response.json().api_key_verification_endpoint).toBe('http://tessera.test/api-keys/verify');
  });
});

describe('restart keeps everything (file SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-api-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a key minted before a restart still verifies after it, and usage collected before close() is written', async () => {
    const url = `sqlite:${join(dir, 'tessera.db')}`;
    const first = await bootstrap({ 'database.url': url });
    let key: string;
    let id: string;
    let verifierClient: TestClient;
    try {
      const keyOwner = await createTestClient(first);
      verifierClient = await createTestClient(first, { grantTypes: [], permissions: ['api_keys:verify'] });
      const created = await first.app.inject({
        method: 'POST',
        url: '/admin/api-keys',
        headers: first.adminHeaders,
        payload: { name: 'durable', owner: keyOwner.id, scope: 'read', rate_limit: '100/1h', meta: { a: 1 } },
      });
      key = created.json().key;
      id = created.json().id;
      for (let i = 0; i < 7; i++) {
        const response = await first.app.inject({
          method: 'POST',
          url: '/api-keys/verify',
          headers: { authorization: verifierClient.basic },
          payload: { key },
        });
        expect(response.json().valid).toBe(true);
      }
    } finally {
      await first.close();
    }

    const second = await bootstrap({ 'database.url': url });
    try {
      const response = await second.app.inject({
        method: 'POST',
        url: '/api-keys/verify',
        headers: { authorization: verifierClient.basic },
        payload: { key },
      });
      expect(response.json()).toMatchObject({ valid: true, key_id: id, meta: { a: 1 } });
      // The rate-limit counter survived too: 7 used before, this is the 8th.
      expect(response.json().rate_limit.remaining).toBe(92);
      const shown = await second.app.inject({
        method: 'GET',
        url: `/admin/api-keys/${id}`,
        headers: second.adminHeaders,
      });
      expect(shown.json()).toMatchObject({ usage_count: 7, name: 'durable' });
      expect(shown.json().last_used_at).not.toBeNull();
    } finally {
      await second.close();
    }
  });
});

describe('POST only', () => {
  it('GET /api-keys/verify → 405 with Allow: POST (a key never travels in a URL)', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api-keys/verify' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('POST');
  });
});

describe('owner', () => {
  it('a key of a disabled client answers disabled until the client is enabled again', async () => {
    const client = await createTestClient(t);
    const created = await admin('POST', '/api-keys', { name: 'owned', owner: client.id, scope: 'read' });
    const key = created.json().key;
    expect((await verify(key)).json().valid).toBe(true);
    expect((await admin('PATCH', `/clients/${client.id}`, { disabled: true })).statusCode).toBe(200);
    // Twice: the first answer loads the changed client, the second finds it in memory.
    for (let i = 0; i < 2; i++) {
      expect((await verify(key)).json()).toMatchObject({ valid: false, code: 'disabled' });
    }
    expect((await admin('PATCH', `/clients/${client.id}`, { disabled: false })).statusCode).toBe(200);
    for (let i = 0; i < 2; i++) {
      expect((await verify(key)).json().valid).toBe(true);
    }
  });
});

describe('DPoP-bound keys at POST /api-keys/verify (issue 14 §4, RFC 9449 §7 applied to API keys)', () => {
  const htu = 'https://api.example.com/invoices';
  /** A proof dated by the test clock (it has moved in the tests above). */
  const proofNow = (key: DpopKey, options: ProofOptions) =>
    dpopProof(key, { iat: t.clock.now(), ...options });

  async function boundKey() {
    const dpop = await dpopKey('ES256');
    const { key, id } = await createKey({ dpop_jkt: dpop.jkt });
    return { dpop, key, id };
  }

  function verifyWith(params: Record<string, unknown>) {
    return t.app.inject({
      method: 'POST',
      url: '/api-keys/verify',
      headers: { authorization: verifier.basic },
      payload: params as Record<string, string>,
    });
  }

  it('RFC 9449 §7 — with the proof the API received (htm, htu, ath of the key) → valid, with cnf.jkt', async () => {
    const { dpop, key, id } = await boundKey();
    const proof = await proofNow(dpop, { htm: 'GET', htu, accessToken: key });
    const response = await verifyWith({ key, dpop: proof, htm: 'GET', htu: `${htu}?page=2` });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ valid: true, key_id: id, cnf: { jkt: dpop.jkt } });
  });

  it('RFC 9449 §7 — the key string alone → 400 invalid_dpop_proof that says what to send', async () => {
    const { key } = await boundKey();
    const response = await verify(key);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: 'invalid_dpop_proof',
      error_description: expect.stringContaining('send the DPoP proof the API received as dpop'),
    });
  });

  it('RFC 9449 §4.3 — a proof by another key, for another URL or method, for another token (ath), or replayed → invalid_dpop_proof', async () => {
    const { dpop, key } = await boundKey();
    const other = await dpopKey('ES256');
    const cases: [string, Promise<string>, string][] = [
      ['another key', proofNow(other, { htm: 'GET', htu, accessToken: key }), 'not signed by the key'],
      ['another URL', proofNow(dpop, { htm: 'GET', htu: `${htu}/2`, accessToken: key }), 'htu'],
      ['another method', proofNow(dpop, { htm: 'POST', htu, accessToken: key }), 'htm'],
      ['another token', proofNow(dpop, { htm: 'GET', htu, accessToken: 'tsr_at_x' }), 'ath'],
    ];
    for (const [what, proof, says] of cases) {
      const response = await verifyWith({ key, dpop: await proof, htm: 'GET', htu });
      expect(response.statusCode, what).toBe(400);
      expect(response.json().error, what).toBe('invalid_dpop_proof');
      expect(response.json().error_description, what).toContain(says);
    }
    const once = await proofNow(dpop, { htm: 'GET', htu, accessToken: key });
    expect((await verifyWith({ key, dpop: once, htm: 'GET', htu })).statusCode).toBe(200);
    const replayed = await verifyWith({ key, dpop: once, htm: 'GET', htu });
    expect(replayed.statusCode).toBe(400);
    expect(replayed.json().error_description).toContain('already used');
  });

  it('RFC 6749 §5.2 — a proof without htm and htu → 400 invalid_request; an unbound key ignores dpop', async () => {
    const { dpop, key } = await boundKey();
    const proof = await proofNow(dpop, { htm: 'GET', htu, accessToken: key });
    const missing = await verifyWith({ key, dpop: proof });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toBe('invalid_request');
    const plain = await createKey();
    expect((await verify(plain.key)).json()).toMatchObject({ valid: true });
  });
});
