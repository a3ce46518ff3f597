/**
 * createTokenClient against a REAL Tessera on 127.0.0.1: RFC 6749 §4.4 client credentials with
 * client_secret_basic / client_secret_post / private_key_jwt, caching and early renewal on an
 * injected clock, single flight under 100 concurrent callers (counted at the server), and one
 * renewal + one retry when the API answers RFC 6750 §3.1 `invalid_token` after a revocation.
 */

import { createTokenClient, TesseraClientError, type TokenClientOptions } from '@tessera/client';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestClient, type TestClient } from '../../server/test/support/clients.js';
import { startIntrospectingApi, type TestApi } from './support/api.js';
import { type ListeningTessera, startTessera } from './support/tessera.js';

let tessera: ListeningTessera;
let api: TestApi;
let app: TestClient;

beforeAll(async () => {
  tessera = await startTessera();
  const resourceServer = await createTestClient(tessera.t, { permissions: ['introspect'] });
  api = await startIntrospectingApi({ issuer: tessera.issuer, basic: resourceServer.basic });
});
afterAll(async () => {
  await api?.close();
  await tessera?.close();
});
beforeEach(async () => {
  app = await createTestClient(tessera.t);
});

function tokenClient(overrides: Partial<TokenClientOptions> = {}) {
  return createTokenClient({
    issuer: tessera.issuer,
    clientId: app.id,
    clientSecret: app.secret,
    clock: tessera.t.clock,
    random: () => 0.5,
    ...overrides,
  } as TokenClientOptions);
}

async function revoke(token: string): Promise<void> {
  const response = await fetch(`${tessera.issuer}/revoke`, {
    method: 'POST',
    headers: { authorization: app.basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  expect(response.status).toBe(200);
}

describe('RFC 6749 §4.4 client credentials through oauth4webapi', () => {
  it('RFC 6749 §2.3.1 — client_secret_basic gets a Bearer token with the requested scope', async () => {
    const info = await tokenClient({ scope: ['read', 'write'] }).getTokenInfo();
    expect(info.tokenType.toLowerCase()).toBe('bearer');
    expect(info.scope).toEqual(['read', 'write']);
    expect(info.expiresAt).toBe(tessera.t.clock.now() + 600);
  });

  it('RFC 6749 §2.3.1 — client_secret_post works too', async () => {
    const token = await tokenClient({ tokenEndpointAuthMethod: 'client_secret_post' }).getToken();
    expect(token).toMatch(/^ey/);
  });

  it('RFC 7523 §2.2 — private_key_jwt with a WebCrypto key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const keyed = await createTestClient(tessera.t, {
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [jwk] } as never,
      secrets: [],
    });
    const client = createTokenClient({
      issuer: tessera.issuer,
      clientId: keyed.id,
      privateKey: { key: privateKey, kid: 'k1' },
      clock: tessera.t.clock,
    });
    expect(await client.getToken()).toMatch(/^ey/);
  });

  it('RFC 8707 §2 — resource becomes the token audience', async () => {
    const token = await tokenClient({ resource: 'https://other.example.com' }).getToken();
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      aud: unknown;
    };
    expect([payload.aud].flat()).toEqual(['https://other.example.com']);
  });

  it('RFC 6749 §5.2 — a wrong secret surfaces invalid_client as a TesseraClientError (no secret in the message)', async () => {
    const wrong = `${app.secret.slice(0, -4)}AAAA`;
    const error = await tokenClient({ clientSecret: wrong })
      .getToken()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraClientError);
    expect((error as TesseraClientError).code).toBe('invalid_client');
    expect((error as TesseraClientError).status).toBe(401);
    expect((error as TesseraClientError).message).not.toContain(wrong);
  });

  it('RFC 8414 §2 / OAuth 2.1 §1.5 — a plain-http issuer other than loopback is refused', () => {
    expect(() => tokenClient({ issuer: 'http://auth.example' })).toThrow(TesseraClientError);
  });
});

describe('caching and early renewal (injected clock)', () => {
  it('reuses the cached token until renewAt, then renews before expiry', async () => {
    const client = tokenClient({ renewBefore: 60, jitter: 30 });
    const before = await tessera.tokenRequests();
    const first = await client.getTokenInfo();
    // 600 s lifetime, renew 60 s early plus 0.5 × 30 s of jitter.
    expect(first.renewAt).toBe(first.expiresAt - 75);
    expect(await client.getToken()).toBe(first.accessToken);
    tessera.t.clock.advance(600 - 75 - 1);
    expect(await client.getToken()).toBe(first.accessToken);
    expect(await tessera.tokenRequests()).toBe(before + 1);

    tessera.t.clock.advance(1);
    const second = await client.getTokenInfo();
    expect(second.accessToken).not.toBe(first.accessToken);
    // Renewed while the first was still valid: no request ever leaves with an expiring token.
    expect(tessera.t.clock.now()).toBeLessThan(first.expiresAt);
    expect(await tessera.tokenRequests()).toBe(before + 2);
  });

  it('the jitter spreads renewals of clients started together', async () => {
    const early = await tokenClient({ random: () => 0.999 }).getTokenInfo();
    const late = await tokenClient({ random: () => 0 }).getTokenInfo();
    expect(late.renewAt - early.renewAt).toBeGreaterThan(29);
  });

  it('if Tessera is unreachable during early renewal, the still-valid token is served', async () => {
    let down = false;
    const client = tokenClient({
      fetch: (input, init) =>
        down ? Promise.reject(new TypeError('connection refused')) : fetch(input, init),
    });
    const first = await client.getTokenInfo();
    down = true;
    tessera.t.clock.advance(600 - 30);
    expect(await client.getToken()).toBe(first.accessToken);
    tessera.t.clock.advance(60);
    const error = await client.getToken().catch((e: unknown) => e);
    expect((error as TesseraClientError).code).toBe('network_error');
  });
});

describe('single flight', () => {
  it('100 concurrent callers with an empty cache → one token request at the server', async () => {
    const client = tokenClient();
    const before = await tessera.tokenRequests();
    const tokens = await Promise.all(Array.from({ length: 100 }, () => client.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(await tessera.tokenRequests()).toBe(before + 1);
  });

  it('100 concurrent callers at renewal time → one more token request', async () => {
    const client = tokenClient();
    const first = await client.getTokenInfo();
    tessera.t.clock.advance(first.renewAt - tessera.t.clock.now());
    const before = await tessera.tokenRequests();
    const tokens = await Promise.all(Array.from({ length: 100 }, () => client.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(first.accessToken);
    expect(await tessera.tokenRequests()).toBe(before + 1);
  });

  it('a failed renewal is not cached: the next caller tries again', async () => {
    let fail = true;
    const client = tokenClient({
      fetch: (input, init) => (fail ? Promise.reject(new TypeError('down')) : fetch(input, init)),
    });
    await expect(client.getToken()).rejects.toBeInstanceOf(TesseraClientError);
    fail = false;
    expect(await client.getToken()).toMatch(/^ey/);
  });
});

describe('RFC 6750 §3.1 invalid_token → renew once, retry once', () => {
  it('after the token is revoked at Tessera (RFC 7009), fetch renews and the retry succeeds', async () => {
    const client = tokenClient();
    const first = await client.fetch(`${api.url}/cookies`);
    expect(first.status).toBe(200);
    const revoked = await client.getToken();
    await revoke(revoked);

    const before = await tessera.tokenRequests();
    const seenBefore = api.seen.length;
    const response = await client.fetch(`${api.url}/cookies`);
    expect(response.status).toBe(200);
    expect(await tessera.tokenRequests()).toBe(before + 1);
    const attempts = api.seen.slice(seenBefore);
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toBe(`Bearer ${revoked}`);
    expect(attempts[1]).not.toBe(`Bearer ${revoked}`);
  });

  it('the retry resends the request body', async () => {
    const client = tokenClient();
    await revoke(await client.getToken());
    const response = await client.fetch(`${api.url}/cookies/eat`, { method: 'POST', body: 'x'.repeat(1000) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { bodyLength: number }).bodyLength).toBe(1000);
  });

  it('100 concurrent calls that all hit the revoked token share one renewal', async () => {
    const client = tokenClient();
    await revoke(await client.getToken());
    const before = await tessera.tokenRequests();
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => client.fetch(`${api.url}/cookies`)),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(await tessera.tokenRequests()).toBe(before + 1);
  });

  it('retries only once: a token refused twice returns the second 401', async () => {
    const client = tokenClient({
      // An API that refuses every token: the client must not loop.
      fetch: (input, init) =>
        String(input instanceof Request ? input.url : input).startsWith(api.url)
          ? Promise.resolve(
              new Response(null, {
                status: 401,
                headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
              }),
            )
          : fetch(input, init),
    });
    const before = await tessera.tokenRequests();
    const response = await client.fetch(`${api.url}/cookies`);
    expect(response.status).toBe(401);
    expect(await tessera.tokenRequests()).toBe(before + 2);
  });

  it('RFC 6750 §3.1 — insufficient_scope (403) is not retried', async () => {
    const client = tokenClient();
    await client.getToken();
    const before = await tessera.tokenRequests();
    const seenBefore = api.seen.length;
    api.refuseScope = true;
    try {
      const response = await client.fetch(`${api.url}/cookies/eat`, { method: 'POST' });
      expect(response.status).toBe(403);
    } finally {
      api.refuseScope = false;
    }
    expect(api.seen.length - seenBefore).toBe(1);
    expect(await tessera.tokenRequests()).toBe(before);
  });
});
