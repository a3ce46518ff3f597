/**
 * The BFF (@tessera/client/bff) against a REAL Tessera, run once through each adapter (Express,
 * Fastify): sign-in with PKCE, tokens kept server-side (encrypted), the session cookie, CSRF
 * defences on the proxy and logout, renewal with the refresh token (single flight, rotation),
 * retry after revocation, logout revoking at Tessera and going through end-session.
 */

import {
  createMemorySessionBackend,
  createSqliteSessionBackend,
  type SessionBackend,
} from '@tessera/client/bff';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClient, type TestClient } from '../../server/test/support/clients.js';
import { createCodeClient, createUser } from '../../server/test/support/login.js';
import { startIntrospectingApi, type TestApi } from './support/api.js';
import { type AdapterName, CookieBrowser, type RunningBff, startBff } from './support/bff-harness.js';
import { signInAt } from './support/sign-in.js';
import { freePort, type ListeningTessera, startTessera } from './support/tessera.js';

const SESSION_KEY = '0f'.repeat(32);
const API_RESOURCE = 'https://cookies.example';

let tessera: ListeningTessera;
let api: TestApi;
let resourceServer: TestClient;

beforeAll(async () => {
  tessera = await startTessera();
  await createUser(tessera.t);
  resourceServer = await createTestClient(tessera.t, { permissions: ['introspect'] });
  api = await startIntrospectingApi({
    issuer: tessera.issuer,
    basic: resourceServer.basic,
    scopes: { 'GET /cookies': 'cookies:read', 'POST /cookies/eat': 'cookies:eat' },
    stepUp: { 'GET /cookies/last': 'urn:tessera:acr:mfa', 'POST /cookies/last': 'urn:tessera:acr:mfa' },
  });
});
afterAll(async () => {
  await api?.close();
  await tessera?.close();
});

/** RFC 7662 — as the API (access tokens) or, for refresh tokens, as the client they were issued to. */
async function introspect(token: string, as: TestClient = resourceServer): Promise<{ active: boolean }> {
  const response = await fetch(`${tessera.issuer}/introspect`, {
    method: 'POST',
    headers: { authorization: as.basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  return (await response.json()) as { active: boolean };
}

describe.each<[AdapterName, 'memory' | 'sqlite']>([
  ['express', 'memory'],
  ['fastify', 'sqlite'],
])('BFF through %s (sessions in %s)', (adapter, sessionsIn) => {
  let running: RunningBff;
  let registered: TestClient;
  let database: Database.Database | undefined;

  beforeAll(async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    registered = await createCodeClient(tessera.t, {
      firstParty: true,
      scope: ['cookies:read', 'cookies:eat'],
      audiences: [API_RESOURCE],
      redirectUris: [`${base}/auth/callback`],
      postLogoutRedirectUris: [`${base}/`],
    });
    database = new Database(':memory:');
    const backend: SessionBackend =
      sessionsIn === 'sqlite' ? createSqliteSessionBackend({ database }) : createMemorySessionBackend();
    running = await startBff(
      adapter,
      {
        issuer: tessera.issuer,
        clientId: registered.id,
        clientSecret: registered.secret,
        api: api.url,
        resource: API_RESOURCE,
        scope: 'openid profile email offline_access cookies:read cookies:eat',
        sessionKey: SESSION_KEY,
        sessions: backend,
        clock: tessera.t.clock,
      },
      port,
    );
  });
  afterAll(async () => {
    await running?.close();
    database?.close();
  });

  async function signedIn(returnTo = '/'): Promise<CookieBrowser> {
    const browser = new CookieBrowser(running.url);
    const login = await browser.fetch(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
    expect(login.status).toBe(302);
    const callback = await signInAt(tessera.t, tessera.issuer, login.headers.get('location') ?? '');
    expect(callback.origin).toBe(running.url);
    const done = await browser.fetch(callback.pathname + callback.search);
    expect(done.status).toBe(303);
    return browser;
  }

  async function storedTokens(browser: CookieBrowser) {
    const session = await running.bff.sessionOf(browser.cookie);
    const tokens = session?.data.tokens;
    if (tokens === undefined) {
      throw new Error('no tokens in the session');
    }
    return tokens;
  }

  it('RFC 7636 / RFC 6749 §4.1.1 — login redirects to Tessera with PKCE S256 and sets only a session cookie', async () => {
    const browser = new CookieBrowser(running.url);
    const response = await browser.fetch('/auth/login');
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe(`${tessera.issuer}/authorize`);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('redirect_uri')).toBe(`${running.url}/auth/callback`);
    // Development (http://127.0.0.1): no __Host- prefix and no Secure; HttpOnly, SameSite=Lax, Path=/ stay.
    const cookie = browser.lastSetCookie ?? '';
    expect(cookie).toMatch(/^bff-session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('sign-in completes: the session id is replaced (no fixation), returnTo is honoured, and the session says who', async () => {
    const browser = new CookieBrowser(running.url);
    const login = await browser.fetch('/auth/login?returnTo=%2Fjar%3Fx%3D1');
    const before = browser.cookie;
    const callback = await signInAt(tessera.t, tessera.issuer, login.headers.get('location') ?? '');
    const done = await browser.fetch(callback.pathname + callback.search);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/jar?x=1');
    expect(browser.cookie).not.toBe(before);
    const session = await (await browser.fetch('/auth/session')).json();
    expect(session).toMatchObject({ authenticated: true, user: { preferred_username: 'alice' } });
    expect(JSON.stringify(session)).not.toMatch(/eyJ|tsr_/);
  });

  it('an absolute returnTo is not followed (no open redirect)', async () => {
    const browser = await signedIn('//evil.example/x');
    expect(browser.cookie).toBeDefined();
    const again = new CookieBrowser(running.url);
    const login = await again.fetch('/auth/login?returnTo=https%3A%2F%2Fevil.example');
    const callback = await signInAt(tessera.t, tessera.issuer, login.headers.get('location') ?? '');
    const done = await again.fetch(callback.pathname + callback.search);
    expect(done.headers.get('location')).toBe('/');
  });

  it('RFC 6749 §10.12 — a callback with a foreign state signs nobody in', async () => {
    const browser = new CookieBrowser(running.url);
    const login = await browser.fetch('/auth/login');
    const callback = await signInAt(tessera.t, tessera.issuer, login.headers.get('location') ?? '');
    callback.searchParams.set('state', 'forged');
    const done = await browser.fetch(callback.pathname + callback.search);
    expect(done.status).toBe(400);
    expect((await (await browser.fetch('/auth/session')).json()).authenticated).toBe(false);
  });

  it('a callback without the browser that started the sign-in is refused', async () => {
    const browser = new CookieBrowser(running.url);
    const login = await browser.fetch('/auth/login');
    const callback = await signInAt(tessera.t, tessera.issuer, login.headers.get('location') ?? '');
    const stranger = new CookieBrowser(running.url);
    expect((await stranger.fetch(callback.pathname + callback.search)).status).toBe(400);
  });

  it('the proxy attaches the access token; the browser never sees it', async () => {
    const browser = await signedIn();
    const tokens = await storedTokens(browser);
    const seen = api.seen.length;
    const response = await browser.api('/api/cookies');
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(JSON.parse(body).cookies).toEqual(['chocolate chip', 'oatmeal']);
    expect(api.seen.slice(seen)).toEqual([`Bearer ${tokens.accessToken}`]);
    expect(body).not.toContain(tokens.accessToken);
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('state-changing calls go through with their body (POST /api/cookies/eat needs cookies:eat)', async () => {
    const browser = await signedIn();
    const eat = await browser.api('/api/cookies/eat', {
      method: 'POST',
      body: '{"n":1}',
      headers: { 'content-type': 'application/json', origin: running.url },
    });
    expect(eat.status).toBe(200);
    expect(((await eat.json()) as { bodyLength: number }).bodyLength).toBe(7);
  });

  it('CSRF — proxy calls without X-Requested-With, or from another origin, are refused before any token is used', async () => {
    const browser = await signedIn();
    const seen = api.seen.length;
    expect((await browser.fetch('/api/cookies')).status).toBe(403);
    expect(
      (await browser.api('/api/cookies/eat', { method: 'POST', headers: { origin: 'https://evil.example' } }))
        .status,
    ).toBe(403);
    expect((await browser.api('/api/cookies', { headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(
      403,
    );
    expect(api.seen.length).toBe(seen);
  });

  it('the proxy cannot be steered outside the API base path', async () => {
    const browser = await signedIn();
    const response = await browser.api('/api/%2e%2e/admin');
    expect([403, 404]).toContain(response.status);
  });

  it('an expired access token is renewed with the refresh token; two concurrent calls → one refresh', async () => {
    const browser = await signedIn();
    const before = await storedTokens(browser);
    tessera.t.clock.advance(600);
    const requests = await tessera.tokenRequests();
    const [a, b] = await Promise.all([browser.api('/api/cookies'), browser.api('/api/cookies')]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await tessera.tokenRequests()).toBe(requests + 1);
    const after = await storedTokens(browser);
    expect(after.accessToken).not.toBe(before.accessToken);
    // RFC 9700 §4.14: the rotated refresh token is the one stored, and it is live.
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect((await introspect(after.refreshToken ?? '', registered)).active).toBe(true);
    expect((await introspect(before.refreshToken ?? '', registered)).active).toBe(false);
  });

  it('RFC 6750 §3.1 — an access token revoked at Tessera is renewed and the call retried once', async () => {
    const browser = await signedIn();
    const before = await storedTokens(browser);
    // RFC 7009 §2.1: the client the token was issued to revokes it (as another part of the app might).
    await fetch(`${tessera.issuer}/revoke`, {
      method: 'POST',
      headers: { authorization: registered.basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: before.accessToken }),
    });
    expect((await introspect(before.accessToken)).active).toBe(false);
    const seen = api.seen.length;
    const response = await browser.api('/api/cookies');
    expect(response.status).toBe(200);
    expect(api.seen.length - seen).toBe(2);
    expect((await storedTokens(browser)).accessToken).not.toBe(before.accessToken);
  });

  it('RFC 9700 §4.14.2 — when the refresh token was reused elsewhere, the proxy asks for a new login', async () => {
    const browser = await signedIn();
    const stolen = (await storedTokens(browser)).refreshToken ?? '';
    tessera.t.clock.advance(600);
    expect((await browser.api('/api/cookies')).status).toBe(200);
    tessera.t.clock.advance(10); // past refreshTokens.reuseGrace
    // The attacker presents the rotated-away token: Tessera revokes the whole grant.
    const reuse = await fetch(`${tessera.issuer}/token`, {
      method: 'POST',
      headers: { authorization: registered.basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: stolen }),
    });
    expect(reuse.status).toBe(400);
    expect(((await reuse.json()) as { error: string }).error).toBe('invalid_grant');
    tessera.t.clock.advance(600);
    const response = await browser.api('/api/cookies');
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'login_required' });
  });

  it('logout: cross-site POST refused; same-origin POST revokes at Tessera, clears the cookie and goes to end-session', async () => {
    const browser = await signedIn();
    const tokens = await storedTokens(browser);
    expect((await introspect(tokens.refreshToken ?? '', registered)).active).toBe(true);
    expect((await introspect(tokens.accessToken)).active).toBe(true);
    expect(
      (await browser.fetch('/auth/logout', { method: 'POST', headers: { origin: 'https://evil.example' } }))
        .status,
    ).toBe(403);
    const response = await browser.fetch('/auth/logout', {
      method: 'POST',
      headers: { origin: running.url },
    });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe(`${tessera.issuer}/end-session`);
    expect(location.searchParams.get('id_token_hint')).toBe(tokens.idToken);
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${running.url}/`);
    expect(browser.lastSetCookie).toMatch(/Max-Age=0/);
    expect((await introspect(tokens.refreshToken ?? '', registered)).active).toBe(false);
    expect((await introspect(tokens.accessToken)).active).toBe(false);
    expect((await browser.api('/api/cookies')).status).toBe(401);
  });

  it('RFC 9470 §5 — a step-up challenge becomes a new authorization request with acr_values and max_age; only GET is marked for retry', async () => {
    const browser = await signedIn();
    const get = await browser.api('/api/cookies/last');
    expect(get.status).toBe(401);
    const body = (await get.json()) as { error: string; login: string; retry: boolean; acr_values: string };
    expect(body).toMatchObject({
      error: 'insufficient_user_authentication',
      acr_values: 'urn:tessera:acr:mfa',
      max_age: 300,
      retry: true,
    });
    const post = await browser.api('/api/cookies/last', { method: 'POST', body: 'cookie=1' });
    expect(post.status).toBe(401);
    expect(((await post.json()) as { retry: boolean }).retry).toBe(false);
    // The page sends the person to the login route it was given; the BFF asks Tessera for more.
    const login = await browser.fetch(`${body.login}&returnTo=%2Fjar`);
    expect(login.status).toBe(302);
    const authorize = new URL(login.headers.get('location') ?? '');
    expect(authorize.searchParams.get('acr_values')).toBe('urn:tessera:acr:mfa');
    expect(authorize.searchParams.get('max_age')).toBe('300');
    // Tessera does not reuse the password-only sign-in: it shows its login page (OIDC Core §3.1.2.1).
    const answer = await tessera.t.app.inject({ method: 'GET', url: authorize.pathname + authorize.search });
    expect(answer.statusCode).toBe(303);
    expect(String(answer.headers.location)).toContain('/login?interaction=');
    // Malformed step-up parameters are dropped, not passed on.
    const junk = await browser.fetch('/auth/login?acr_values=%22x%22&max_age=-1');
    const plain = new URL(junk.headers.get('location') ?? '');
    expect(plain.searchParams.has('acr_values')).toBe(false);
    expect(plain.searchParams.has('max_age')).toBe(false);
  });

  it('sessions are encrypted at rest: the store holds no token', async () => {
    const browser = await signedIn();
    const tokens = await storedTokens(browser);
    if (sessionsIn === 'sqlite' && database !== undefined) {
      const rows = database.prepare('SELECT id, data FROM tessera_bff_sessions').all() as {
        id: string;
        data: string;
      }[];
      expect(rows.length).toBeGreaterThan(0);
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain(tokens.accessToken);
      expect(dump).not.toContain(tokens.refreshToken ?? 'x');
      // Keyed by SHA-256 of the cookie value, so the store does not hold working cookies either.
      expect(dump).not.toContain((browser.cookie ?? '').split('=')[1] ?? 'x');
    }
  });
});
