import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';

describe('foundation HTTP surface', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await bootstrap();
  });
  afterAll(async () => {
    await t.close();
  });

  it('RFC 8414 §3 — /.well-known/oauth-authorization-server names the exact issuer and the jwks_uri', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const meta = response.json();
    expect(meta.issuer).toBe(TEST_ISSUER);
    expect(meta.jwks_uri).toBe(`${TEST_ISSUER}/jwks`);
    expect(Array.isArray(meta.response_types_supported)).toBe(true);
  });

  it('OIDC Discovery §4 — /.well-known/openid-configuration agrees with the RFC 8414 document on every shared member', async () => {
    const oauth = (
      await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })
    ).json();
    const openid = (await t.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })).json();
    for (const [key, value] of Object.entries(oauth)) {
      expect(openid[key], key).toEqual(value);
    }
    expect(openid.subject_types_supported).toEqual(['public', 'pairwise']);
  });

  it('RFC 8414 §2 — advertises only endpoints that answer', async () => {
    const meta = (
      await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })
    ).json();
    for (const [key, value] of Object.entries(meta)) {
      if (key.endsWith('_endpoint') || key === 'jwks_uri') {
        const path = new URL(String(value)).pathname;
        const response = await t.app.inject({ method: 'GET', url: path });
        expect(response.statusCode, `${key} → GET ${path}`).not.toBe(404);
      }
    }
  });

  it('RFC 7517 §5 — the JWKS has only public members, a kid and alg per key, and a short public cache lifetime', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/jwks' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toMatch(/^public, max-age=(\d+)$/);
    const maxAge = Number(/max-age=(\d+)/.exec(String(response.headers['cache-control']))?.[1]);
    expect(maxAge).toBeLessThanOrEqual(300);
    const { keys } = response.json() as { keys: Record<string, unknown>[] };
    // ES256 signs access tokens by default; RS256 signs ID tokens (OIDC Core §3.1.3.7).
    expect(keys.map((k) => k.alg)).toContain('ES256');
    for (const key of keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) {
        expect(key[member], member).toBeUndefined();
      }
      expect(key.kid).toEqual(expect.any(String));
      expect(['ES256', 'EdDSA', 'RS256']).toContain(key.alg);
      expect(key.use).toBe('sig');
    }
  });

  it('/healthz answers while the process lives; /readyz checks the store and keys', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
  });

  it('/metrics serves Prometheus text with request counters and latency histograms', async () => {
    await t.app.inject({ method: 'GET', url: '/healthz' });
    const response = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toContain(
      'tessera_http_requests_total{route="/healthz",method="GET",status="200"}',
    );
    expect(response.body).toContain('tessera_http_request_duration_seconds_bucket');
    expect(response.body).toContain('tessera_tokens_issued_total');
  });

  it('sends security headers (helmet) on every response, and no HSTS over an http issuer', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/jwks' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    // A JSON answer may load, frame or post nothing: default-src 'none' with no directive that
    // widens it again (no helmet defaults such as style-src 'unsafe-inline' or img-src data:).
    expect(response.headers['content-security-policy']).toBe(
      "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'",
    );
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['strict-transport-security']).toBeUndefined();
  });

  it('unknown routes get a JSON not_found, never an HTML page', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: 'not_found' });
  });

  it('malformed JSON gets 400 invalid_request, never a 500 or a stack trace', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/signing-keys/rotate',
      headers: { ...t.adminHeaders, 'content-type': 'application/json' },
      payload: '{"now": tru',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_request' });
    expect(response.body).not.toMatch(/at .*\.js:\d+/);
  });

  it('a body over http.bodyLimit gets 413 invalid_request', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/signing-keys/rotate',
      headers: { ...t.adminHeaders, 'content-type': 'application/json' },
      payload: JSON.stringify({ now: false, pad: 'x'.repeat(70_000) }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('RFC 6750 §3 — the admin API wants a Bearer credential: none → 401 with a challenge and no error code', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/admin/signing-keys' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="http://tessera.test"');
    expect(response.json()).toMatchObject({
      error: 'invalid_token',
      request_id: expect.stringMatching(/^req_/),
    });
  });

  it('RFC 6750 §3.1 — a wrong admin credential → 401 invalid_token in the challenge', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/admin/signing-keys',
      headers: { authorization: 'Bearer wrong-token' },
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('the admin credential opens the admin API', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/admin/signing-keys',
      headers: t.adminHeaders,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().items).toContainEqual(expect.objectContaining({ alg: 'ES256', status: 'active' }));
    expect(response.body).not.toContain('sealed');
  });
});

describe('HTTPS', () => {
  it('sends HSTS when the issuer is https', async () => {
    const t = await bootstrap({ dev: false, issuer: 'https://auth.example.test', trustProxy: 1 });
    try {
      const response = await t.app.inject({ method: 'GET', url: '/healthz' });
      expect(response.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    } finally {
      await t.close();
    }
  });
});
