/**
 * Token-endpoint rate limits (issue 3 §7): per IP and per client, 429 `rate_limited` with
 * Retry-After (RFC 6585 §4), still with the RFC 6749 §5.1 cache headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form } from '../support/clients.js';

describe('RFC 6585 §4 token endpoint rate limits', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await bootstrap({
      'rateLimit.tokenPerClient': 3,
      'rateLimit.tokenPerIp': 5,
      'rateLimit.window': '1m',
    });
  });
  afterAll(() => t.close());

  const call = (authorization: string, remoteAddress = '10.0.0.1') =>
    t.app.inject({
      method: 'POST',
      url: '/token',
      remoteAddress,
      headers: { ...FORM, authorization },
      payload: form({ grant_type: 'client_credentials' }),
    });

  it('RFC 6585 §4 — per client: the 4th request in the window → 429 rate_limited with Retry-After', async () => {
    const c = await createTestClient(t);
    for (let i = 0; i < 3; i++) {
      expect((await call(c.basic, `10.1.0.${i}`)).statusCode).toBe(200);
    }
    const limited = await call(c.basic, '10.1.0.9');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['cache-control']).toBe('no-store');
    expect(limited.headers.pragma).toBe('no-cache');
    // issue 12 item 4: the draft-ietf-httpapi-ratelimit-headers fields, per policy.
    expect(String(limited.headers['ratelimit-policy'])).toContain('"token_client";q=3;w=60');
    expect(String(limited.headers.ratelimit)).toMatch(/"token_client";r=0;t=\d+/);
  });

  it('RFC 6585 §4 — per IP: the 6th request from one address → 429, whatever the client', async () => {
    for (let i = 0; i < 5; i++) {
      const c = await createTestClient(t);
      expect((await call(c.basic, '10.2.0.1')).statusCode).toBe(200);
    }
    const c = await createTestClient(t);
    const limited = await call(c.basic, '10.2.0.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    // Failed authentications count against the address too.
    expect((await call('Basic eDp5', '10.2.0.1')).statusCode).toBe(429);
  });
});

describe('issue 12 item 2 — behind a proxy, the client cannot choose its own address', () => {
  let t: TestServer;
  afterAll(() => t.close());

  it('issue 12 item 2 — with trustProxy: 1, a forged leftmost X-Forwarded-For entry does not change the per-address limit key', async () => {
    t = await bootstrap({
      dev: false,
      issuer: 'https://auth.example.test',
      trustProxy: 1,
      'rateLimit.tokenPerIp': 2,
    });
    const c = await createTestClient(t);
    const call = (forged: string) =>
      t.app.inject({
        method: 'POST',
        url: '/token',
        remoteAddress: '127.0.0.1',
        // The proxy appends the address it saw (203.0.113.7); the client forged what comes before.
        headers: { ...FORM, authorization: c.basic, 'x-forwarded-for': `${forged}, 203.0.113.7` },
        payload: form({ grant_type: 'client_credentials' }),
      });
    expect((await call('198.51.100.1')).statusCode).toBe(200);
    expect((await call('198.51.100.2')).statusCode).toBe(200);
    const limited = await call('198.51.100.3');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
  });

  it('issue 12 item 2 — with a proxy address list, the first untrusted hop from the right is the client', async () => {
    await t.close();
    t = await bootstrap({ trustProxy: '127.0.0.1,10.0.0.0/8', 'rateLimit.tokenPerIp': 1 });
    const c = await createTestClient(t);
    const call = (xff: string) =>
      t.app.inject({
        method: 'POST',
        url: '/token',
        remoteAddress: '127.0.0.1',
        headers: { ...FORM, authorization: c.basic, 'x-forwarded-for': xff },
        payload: form({ grant_type: 'client_credentials' }),
      });
    expect((await call('198.51.100.1, 203.0.113.9, 10.1.2.3')).statusCode).toBe(200);
    // Same real client (203.0.113.9) behind the same inner proxy, another forged entry: limited.
    expect((await call('198.51.100.2, 203.0.113.9, 10.1.2.3')).statusCode).toBe(429);
    // Another real client is not.
    expect((await call('203.0.113.10, 10.1.2.3')).statusCode).toBe(200);
  });
});
