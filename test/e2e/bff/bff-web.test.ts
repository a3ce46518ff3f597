/**
 * End to end in headless Chromium: the examples/bff-web page signs in through Tessera's real
 * login page, calls the cookie-jar API through the BFF proxy, signs out — and at every step no
 * token is in localStorage, sessionStorage, document.cookie, the page's HTML, or any response the
 * browser got from the BFF (draft-ietf-oauth-browser-based-apps §6.1: tokens stay in the BFF).
 */
import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBffWebApp } from '../../../examples/bff-web/src/app.js';
import {
  freePort,
  type ListeningTessera,
  startTessera,
} from '../../../packages/client/test/support/tessera.js';
import { createTestClient } from '../../../packages/server/test/support/clients.js';
import { createCodeClient, createUser, PASSWORD } from '../../../packages/server/test/support/login.js';
import { chromiumAvailable, launchChromium } from '../support/chromium.js';
import { type CookieJar, startCookieJar } from './support/cookie-jar.js';

const API_RESOURCE = 'https://cookies.example';

// A real browser and argon2 password checks: generous timeouts (never timed assertions).
describe.skipIf(!chromiumAvailable())('examples/bff-web in Chromium', { timeout: 60_000 }, () => {
  let tessera: ListeningTessera;
  let api: CookieJar;
  let server: Server;
  let browser: Browser;
  let page: Page;
  let base: string;
  let introspect: (token: string) => Promise<{ active: boolean }>;
  /** Text of every response the browser received from the BFF's origin. */
  const fromBff: string[] = [];

  beforeAll(async () => {
    tessera = await startTessera();
    await createUser(tessera.t);
    const resourceServer = await createTestClient(tessera.t, {
      permissions: ['introspect', 'revocations:stream'],
    });
    introspect = async (token) => {
      const response = await fetch(`${tessera.issuer}/introspect`, {
        method: 'POST',
        headers: { authorization: resourceServer.basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      });
      return (await response.json()) as { active: boolean };
    };
    api = await startCookieJar({
      issuer: tessera.issuer,
      audience: API_RESOURCE,
      client: { clientId: resourceServer.id, clientSecret: resourceServer.secret },
    });
    // The BFF on `localhost`, Tessera on `127.0.0.1`: two sites, two cookie jars, as in production.
    const port = await freePort();
    base = `http://localhost:${port}`;
    const registered = await createCodeClient(tessera.t, {
      name: 'Cookie Jar',
      firstParty: true,
      scope: ['cookies:read', 'cookies:eat'],
      audiences: [API_RESOURCE],
      redirectUris: [`${base}/auth/callback`],
      postLogoutRedirectUris: [`${base}/`],
    });
    const app = createBffWebApp({
      issuer: tessera.issuer,
      clientId: registered.id,
      clientSecret: registered.secret,
      baseUrl: base,
      api: api.url,
      resource: API_RESOURCE,
      sessionKey: 'a1'.repeat(32),
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(port, '127.0.0.1', () => resolve(s));
    });
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('response', async (response) => {
      if (new URL(response.url()).origin === base && response.status() < 300) {
        fromBff.push(await response.text().catch(() => ''));
      }
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (server !== undefined) {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    }
    await api?.close();
    await tessera?.close();
  });

  /** Everything script on the page could read, plus the page itself. */
  async function browserSideText(): Promise<string> {
    const storage = await page.evaluate(() => ({
      local: Object.entries(localStorage),
      session: Object.entries(sessionStorage),
      cookie: document.cookie,
    }));
    return JSON.stringify(storage) + (await page.content());
  }

  function expectNoToken(text: string, accessTokens: readonly string[]): void {
    // JWTs (access and ID tokens) start with eyJ; Tessera's opaque secrets with tsr_.
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    expect(text).not.toMatch(/tsr_[a-z]+_/);
    for (const token of accessTokens) {
      expect(text).not.toContain(token);
    }
  }

  it('signs in through Tessera, calls the API through the BFF, and no token reaches the browser', async () => {
    await page.goto(`${base}/`);
    await page.locator('#sign-in').click();
    // Tessera's own login page.
    await page.waitForURL(`${tessera.issuer}/login**`);
    await page.locator('#username').fill('alice');
    await page.locator('#password').fill(PASSWORD);
    await page.locator('button[type=submit]').click();
    await page.waitForURL(`${base}/`);
    await expect.poll(() => page.locator('#user').textContent()).toBe('Alice Liddell');

    await page.locator('#load').click();
    await expect.poll(() => page.locator('#result').textContent()).toBe('12 cookies in the jar.');
    await page.locator('#eat').click();
    await expect.poll(() => page.locator('#result').textContent()).toBe('Yum. 11 left.');

    // The API did receive bearer tokens: from the BFF, never from the browser.
    const accessTokens = api.seen.filter((h) => h.startsWith('Bearer ')).map((h) => h.slice(7));
    expect(accessTokens.length).toBeGreaterThanOrEqual(2);

    expectNoToken(await browserSideText(), accessTokens);
    expectNoToken(fromBff.join('\n'), accessTokens);
    expect(await page.evaluate(() => document.cookie)).toBe('');

    const cookies = await page.context().cookies(base);
    expect(cookies.map((c) => c.name)).toEqual(['bff-session']);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expectNoToken(JSON.stringify(cookies), accessTokens);
  });

  it('CSRF — a call without X-Requested-With (what a cross-site form or image would send) is refused', async () => {
    const status = await page.evaluate(async () => (await fetch('/api/cookies')).status);
    expect(status).toBe(403);
  });

  it('signs out: tokens revoked at Tessera, end-session, back on the page signed out', async () => {
    const lastToken = api.seen.at(-1)?.slice(7) ?? '';
    expect((await introspect(lastToken)).active).toBe(true);
    await page.locator('#sign-out').click();
    await page.waitForURL(`${base}/`);
    await expect.poll(() => page.locator('#sign-in').isVisible()).toBe(true);
    expect(await page.context().cookies(base)).toEqual([]);
    const status = await page.evaluate(
      async () => (await fetch('/api/cookies', { headers: { 'X-Requested-With': 'fetch' } })).status,
    );
    expect(status).toBe(401);
    expectNoToken(await browserSideText(), []);
    // RFC 7009: the BFF revoked the tokens at Tessera on the way out.
    expect((await introspect(lastToken)).active).toBe(false);
  });

  it('issue 12 item 3 (RFC 9700 §4.11) — after sign-in with a hostile returnTo, the browser lands on the BFF origin', async () => {
    // The "other origin" is a local server on 127.0.0.1 (the BFF is on localhost): the browser
    // never needs any address but 127.0.0.1, and a hit on it would be the open redirect.
    const hits: string[] = [];
    const evil = createServer((request, response) => {
      hits.push(request.url ?? '');
      response.end('evil');
    });
    const evilPort = await freePort();
    await new Promise<void>((resolve) => evil.listen(evilPort, '127.0.0.1', () => resolve()));
    const evilHost = `127.0.0.1:${evilPort}`;
    try {
      const hostile = [
        `/\t/${evilHost}/`,
        `/\n/${evilHost}/`,
        `//${evilHost}/`,
        `/\\${evilHost}/`,
        `\\/\\/${evilHost}/`,
        `http:${evilHost}/`,
        `/%09/${evilHost}/`,
        `/%2F%2F${evilHost}/`,
      ];
      // Signed in at Tessera first (the victim already is): the redirect chain after each hostile
      // link is then followed by the browser alone. (A chain that starts with Tessera's login form
      // submit is also held back by the login page's CSP form-action; this one has no form.)
      await page.goto(`${base}/auth/login?returnTo=%2F`);
      await page.waitForURL((url) => url.origin === base || url.pathname === '/login');
      if (new URL(page.url()).origin === tessera.issuer) {
        await page.locator('#username').fill('alice');
        await page.locator('#password').fill(PASSWORD);
        await page.locator('button[type=submit]').click();
        await page.waitForURL(`${base}/`);
      }
      for (const value of hostile) {
        await page.goto(`${base}/auth/login?returnTo=${encodeURIComponent(value)}`);
        await page.waitForURL((url) => url.origin === base || url.origin === `http://${evilHost}`);
        expect(new URL(page.url()).origin, JSON.stringify(value)).toBe(base);
      }
      expect(hits).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => {
        evil.closeAllConnections();
        evil.close(() => resolve());
      });
    }
  });
});
