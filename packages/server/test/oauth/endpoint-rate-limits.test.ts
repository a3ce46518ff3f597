/**
 * Rate limits on every public endpoint and the admin API (issue 12 item 4): per caller (the
 * authenticated client where there is one, else the address), 429 `rate_limited` with Retry-After
 * (RFC 6585 §4, RFC 9110 §10.2.3) and the draft-ietf-httpapi-ratelimit-headers fields; another
 * caller keeps its own allowance. Plus the backoff on repeated `invalid_client` per client id.
 */
import { randomBytes } from 'node:crypto';
import { formatSecret } from '@tessera/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { basicAuthorization, createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createUser,
  pkcePair,
  REDIRECT_URI,
  signIn,
} from '../support/login.js';

const LIMIT = 2;

/** 429 `rate_limited`, Retry-After, and the RateLimit fields naming `policy` with nothing left. */
function expectLimited(response: LightMyRequestResponse, policy: string): void {
  expect(response.statusCode, response.body).toBe(429);
  const retryAfter = Number(response.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(String(response.headers['ratelimit-policy'])).toContain(`"${policy}";q=${LIMIT};w=60`);
  expect(String(response.headers.ratelimit)).toContain(`"${policy}";r=0;t=${retryAfter}`);
}

/** A counted answer carries the policy and what is left of it. */
function expectCounted(response: LightMyRequestResponse, policy: string, remaining: number): void {
  expect(String(response.headers['ratelimit-policy'])).toContain(`"${policy}";q=${LIMIT};w=60`);
  expect(String(response.headers.ratelimit)).toMatch(new RegExp(`"${policy}";r=${remaining};t=\\d+`));
}

describe('issue 12 item 4 — per-caller rate limits on the public endpoints', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await bootstrap({
      'rateLimit.introspect': LIMIT,
      'rateLimit.revoke': LIMIT,
      'rateLimit.apiKeyVerify': LIMIT,
      'rateLimit.userinfo': LIMIT,
      'rateLimit.authorize': LIMIT,
      'rateLimit.endSession': LIMIT,
      'rateLimit.window': '1m',
    });
    await createUser(t);
  });
  afterAll(() => t.close());

  const post = (url: string, client: TestClient | string, params: Record<string, string>, ip: string) =>
    t.app.inject({
      method: 'POST',
      url,
      remoteAddress: ip,
      headers: { ...FORM, authorization: typeof client === 'string' ? client : client.basic },
      payload: form(params),
    });

  for (const [url, policy] of [
    ['/introspect', 'introspect'],
    ['/revoke', 'revoke'],
  ] as const) {
    it(`issue 12 item 4 — ${url}: one request past the client's limit → 429 with Retry-After and RateLimit fields; another client is unaffected`, async () => {
      const a = await createTestClient(t);
      const b = await createTestClient(t);
      const ip = '10.4.0.1';
      const first = await post(url, a, { token: 'x' }, ip);
      expect(first.statusCode).toBe(200);
      expectCounted(first, policy, 1);
      expect((await post(url, a, { token: 'x' }, '10.4.0.2')).statusCode).toBe(200);
      const limited = await post(url, a, { token: 'x' }, '10.4.0.3');
      expectLimited(limited, policy);
      expect(limited.json().error).toBe('rate_limited');
      expect(limited.headers['cache-control']).toBe('no-store');
      // Same address, another client: its own allowance.
      expect((await post(url, b, { token: 'x' }, ip)).statusCode).toBe(200);
    });

    it(`issue 12 item 4 — ${url}: failed authentication counts against the address, then the address is refused before credentials are checked`, async () => {
      const a = await createTestClient(t);
      const ip = '10.5.0.1';
      for (let i = 0; i < LIMIT; i++) {
        expect((await post(url, 'Basic eDp5', { token: 'x' }, ip)).statusCode).toBe(401);
      }
      expectLimited(await post(url, 'Basic eDp5', { token: 'x' }, ip), policy);
      expectLimited(await post(url, a, { token: 'x' }, ip), policy);
      // Another address is not affected.
      expect((await post(url, a, { token: 'x' }, '10.5.0.2')).statusCode).toBe(200);
    });
  }

  it("issue 12 item 4 — /api-keys/verify: per calling client, separate from the key's own limit", async () => {
    const a = await createTestClient(t, { grantTypes: [], permissions: ['api_keys:verify'] });
    const b = await createTestClient(t, { grantTypes: [], permissions: ['api_keys:verify'] });
    const owner = await createTestClient(t);
    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/api-keys',
      headers: t.adminHeaders,
      payload: { name: 'k', owner: owner.id, scope: 'read', rate_limit: '100/1m' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const key: string = created.json().key;
    const verify = (client: TestClient) =>
      t.app.inject({
        method: 'POST',
        url: '/api-keys/verify',
        remoteAddress: '10.6.0.1',
        headers: { authorization: client.basic },
        payload: { key },
      });
    const first = await verify(a);
    expect(first.statusCode).toBe(200);
    expectCounted(first, 'api_key_verify', 1);
    // The key's own limit is listed beside the caller's, and counted apart.
    expect(String(first.headers['ratelimit-policy'])).toContain('"api_key";q=100;w=60');
    expect((await verify(a)).statusCode).toBe(200);
    const limited = await verify(a);
    expectLimited(limited, 'api_key_verify');
    expect(limited.json().error).toBe('rate_limited');
    const other = await verify(b);
    expect(other.statusCode).toBe(200);
    expect(other.json().rate_limit).toMatchObject({ limit: 100, remaining: 97 });
  });

  async function userToken(client: TestClient): Promise<string> {
    const pkce = pkcePair();
    const { code } = await signIn(
      new Browser(t),
      authorizeUrl(client.client, {
        scope: 'openid',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      }),
    );
    const response = await post(
      '/token',
      client,
      {
        grant_type: 'authorization_code',
        code: code ?? '',
        redirect_uri: REDIRECT_URI,
        code_verifier: pkce.verifier,
      },
      '10.7.0.9',
    );
    expect(response.statusCode, response.body).toBe(200);
    return response.json().access_token;
  }

  it("issue 12 item 4 — /userinfo: per the access token's client; another client's token is unaffected", async () => {
    const a = await createCodeClient(t);
    const b = await createCodeClient(t);
    // Sign-ins go through /authorize, which has its own per-address limit: use other addresses.
    const tokenA = await userToken(a);
    const tokenB = await userToken(b);
    const userinfo = (token: string) =>
      t.app.inject({
        method: 'GET',
        url: '/userinfo',
        remoteAddress: '10.7.0.1',
        headers: { authorization: `Bearer ${token}` },
      });
    const first = await userinfo(tokenA);
    expect(first.statusCode).toBe(200);
    expectCounted(first, 'userinfo', 1);
    expect((await userinfo(tokenA)).statusCode).toBe(200);
    const limited = await userinfo(tokenA);
    expectLimited(limited, 'userinfo');
    expect((await userinfo(tokenB)).statusCode).toBe(200);
  });

  for (const [url, policy] of [
    ['/authorize?client_id=cli_nobody&response_type=code', 'authorize'],
    ['/end-session', 'end_session'],
  ] as const) {
    it(`issue 12 item 4 — ${url.split('?')[0]}: per address; one request past the limit → 429 with Retry-After and RateLimit fields; another address is unaffected`, async () => {
      const get = (ip: string) => t.app.inject({ method: 'GET', url, remoteAddress: ip });
      for (let i = 0; i < LIMIT; i++) {
        const answer = await get('10.8.0.1');
        expect(answer.statusCode).not.toBe(429);
        expectCounted(answer, policy, LIMIT - 1 - i);
      }
      expectLimited(await get('10.8.0.1'), policy);
      expect((await get('10.8.0.2')).statusCode).not.toBe(429);
    });
  }
});

describe('issue 12 item 4 — the admin API is rate limited per address, before the credential is checked', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await bootstrap({ 'rateLimit.admin': LIMIT });
  });
  afterAll(() => t.close());

  it('issue 12 item 4 — admin: the 3rd request from one address → 429 even with the right token; another address is unaffected', async () => {
    const get = (ip: string, authorization = t.adminHeaders.authorization) =>
      t.app.inject({ method: 'GET', url: '/admin/clients', remoteAddress: ip, headers: { authorization } });
    expect((await get('10.9.0.1', 'Bearer wrong')).statusCode).toBe(401);
    const ok = await get('10.9.0.1');
    expect(ok.statusCode).toBe(200);
    expectCounted(ok, 'admin', 0);
    const limited = await get('10.9.0.1');
    expectLimited(limited, 'admin');
    expect(limited.json().request_id).toBeDefined();
    expect((await get('10.9.0.2')).statusCode).toBe(200);
  });
});

describe('issue 12 item 4 — the token endpoint', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await bootstrap({ 'rateLimit.clientAuthFreeFailures': 3, 'rateLimit.clientAuthMaxBackoff': '1m' });
  });
  afterAll(() => t.close());

  it('issue 12 item 4 — the default token limits are real limits, not 30 000 a minute', () => {
    expect(t.config.rateLimit.tokenPerIp).toBe(1200);
    expect(t.config.rateLimit.tokenPerClient).toBe(600);
  });

  it('issue 12 item 4 / DESIGN §7 — repeated invalid_client for one client id: backoff, 429 with Retry-After even for the right secret, counted in the store; another client is unaffected', async () => {
    const a = await createTestClient(t);
    const b = await createTestClient(t);
    // Well-formed (prefix and checksum), so it is compared, and wrong.
    const wrong = basicAuthorization(a.id, formatSecret('cs', randomBytes(32)));
    const token = (authorization: string) =>
      t.app.inject({
        method: 'POST',
        url: '/token',
        headers: { ...FORM, authorization },
        payload: form({ grant_type: 'client_credentials' }),
      });
    const failures = [];
    for (let i = 0; i < 3; i++) {
      failures.push((await token(wrong)).statusCode);
    }
    expect(failures).toEqual([401, 401, 401]);
    const locked = await token(a.basic);
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error).toBe('rate_limited');
    expect(locked.headers['retry-after']).toBe('1');
    expect(String(locked.headers.ratelimit)).toContain('"backoff";r=0;t=1');
    expect((await token(b.basic)).statusCode).toBe(200);
    // Shared through the store: another node asking now is refused too.
    expect(
      await t.store.takeAttempt({
        key: `client_auth:${a.id}`,
        now: t.clock.now(),
        freeAttempts: 3,
        maxBackoff: 60,
        window: 3600,
      }),
    ).toMatchObject({ allowed: false });
    t.clock.advance(1);
    expect((await token(wrong)).statusCode).toBe(401);
    expect((await token(a.basic)).headers['retry-after']).toBe('2');
    t.clock.advance(2);
    expect((await token(a.basic)).statusCode).toBe(200);
    // A success forgets the failures.
    expect((await token(wrong)).statusCode).toBe(401);
    expect((await token(a.basic)).statusCode).toBe(200);
  });
});
