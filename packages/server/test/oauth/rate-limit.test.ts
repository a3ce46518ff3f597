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
