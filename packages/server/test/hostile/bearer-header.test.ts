/**
 * RFC 6750 §3.1 at the Bearer-protected endpoints (userinfo, the admin API), for Authorization
 * headers that are not a usable Bearer credential:
 * - another scheme (Basic, Digest, …) is a request that "lacks any authentication information
 *   (… attempted using an unsupported authentication method)": 401, and the challenge carries no
 *   error code;
 * - a Bearer credential that does not parse is `invalid_request`, which "SHOULD respond with the
 *   HTTP 400 (Bad Request) status code".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';

let t: TestServer;

beforeAll(async () => {
  t = await bootstrap();
});
afterAll(async () => {
  await t.close();
});

const endpoints = ['/userinfo', '/admin/clients'];

describe('RFC 6750 §3.1 — an unsupported scheme is no credential: 401, no error code', () => {
  it.each(
    endpoints.flatMap((url) =>
      ['Basic dXNlcjpwYXNz', 'Digest username="a"', 'Token abc'].map((header) => [url, header]),
    ),
  )('%s with Authorization: %s → 401, WWW-Authenticate: Bearer realm only', async (url, header) => {
    const response = await t.app.inject({ method: 'GET', url, headers: { authorization: header } });
    expect(response.statusCode).toBe(401);
    const challenge = String(response.headers['www-authenticate']);
    expect(challenge).toMatch(/^Bearer realm="[^"]+"$/);
  });
});

describe('RFC 6750 §3.1 — a Bearer credential that does not parse → 400 invalid_request', () => {
  it.each(
    endpoints.flatMap((url) =>
      ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer  two-spaces', 'Bearer \u00e9t\u00e9'].map((header) => [
        url,
        header,
      ]),
    ),
  )('%s with Authorization: %j → 400 invalid_request with a Bearer challenge', async (url, header) => {
    const response = await t.app.inject({ method: 'GET', url, headers: { authorization: header } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
    expect(String(response.headers['www-authenticate'])).toMatch(
      /^Bearer realm="[^"]+", error="invalid_request"/,
    );
  });
});
