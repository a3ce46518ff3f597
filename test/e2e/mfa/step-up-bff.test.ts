/**
 * End to end (issue 13 "Done when"): an API route protected with
 * `authentication: { acr: 'urn:tessera:acr:phr', maxAge: 300 }` (@tessera/verify's
 * requireAuthentication) refuses a password-only token with RFC 9470 §3's challenge; the
 * examples/bff-web page, in headless Chromium, follows the BFF's `{ login }` answer through
 * Tessera's /authorize with acr_values, the person signs in with a passkey (CDP virtual
 * authenticator), and the repeated call succeeds. No token reaches the browser. Real clock, real
 * sockets, nothing mocked. The step-up prompt is a screenshot (screenshotPath: docs/img/ with TESSERA_SCREENSHOTS=docs).
 */
import type { Server } from 'node:http';
import { decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBffWebApp } from '../../../examples/bff-web/src/app.js';
import { freePort } from '../../../packages/server/test/support/listening.js';
import { type CookieJar, startCookieJar } from '../bff/support/cookie-jar.js';
import { chromiumAvailable, launchChromium } from '../support/chromium.js';
import { screenshotPath } from '../support/screenshots.js';
import { type E2eTessera, PASSWORD, startE2eTessera } from '../support/tessera.js';
import { addVirtualAuthenticator, registerPasskeyOnAccount } from '../support/webauthn.js';

const API_RESOURCE = 'https://cookies.example';
const PHR = 'urn:tessera:acr:phr';
describe.skipIf(!chromiumAvailable())('step-up through the BFF in Chromium (RFC 9470)', () => {
  let tessera: E2eTessera;
  let issuer: string;
  let api: CookieJar;
  let server: Server;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  /** Everything script on the page could read, plus the page itself. */
  async function browserSideText(): Promise<string> {
    const storage = await page.evaluate(() => ({
      local: Object.entries(localStorage),
      session: Object.entries(sessionStorage),
      cookie: document.cookie,
    }));
    return JSON.stringify(storage) + (await page.content());
  }

  beforeAll(async () => {
    // Tessera on `localhost` (WebAuthn needs a domain and a secure context), the BFF on
    // 127.0.0.1: two sites, two cookie jars.
    tessera = await startE2eTessera({ hostname: 'localhost' });
    issuer = tessera.issuer;
    const admin = tessera.admin;

    await admin('POST', '/admin/users', { username: 'alice', password: PASSWORD, name: 'Alice Liddell' });
    const resourceServer = await admin<{ client_id: string; client_secret: string }>(
      'POST',
      '/admin/clients',
      {
        name: 'Cookie jar API',
        grant_types: ['client_credentials'],
        permissions: ['introspect', 'revocations:stream'],
      },
    );
    // One cookie left: eating it needs the passkey.
    api = await startCookieJar({
      issuer,
      audience: API_RESOURCE,
      client: { clientId: resourceServer.client_id, clientSecret: resourceServer.client_secret },
      cookies: 1,
    });
    const bffPort = await freePort();
    base = `http://127.0.0.1:${bffPort}`;
    const registered = await admin<{ client_id: string; client_secret: string }>('POST', '/admin/clients', {
      name: 'Cookie Jar',
      grant_types: ['authorization_code', 'refresh_token'],
      first_party: true,
      scope: 'cookies:read cookies:eat',
      audiences: [API_RESOURCE],
      redirect_uris: [`${base}/auth/callback`],
      post_logout_redirect_uris: [`${base}/`],
    });
    const app = createBffWebApp({
      issuer,
      clientId: registered.client_id,
      clientSecret: registered.client_secret,
      baseUrl: base,
      api: api.url,
      resource: API_RESOURCE,
      sessionKey: 'b2'.repeat(32),
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(bffPort, '127.0.0.1', () => resolve(s));
    });

    // `localhost` is the loopback Tessera listens on.
    browser = await launchChromium(['--host-resolver-rules=MAP localhost 127.0.0.1']);
    context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
    // No conditional mediation: the passkey is used only when the person presses the button, so
    // the first sign-in is by password alone.
    await context.addInitScript(() => {
      if (typeof PublicKeyCredential !== 'undefined') {
        PublicKeyCredential.isConditionalMediationAvailable = async () => false;
      }
    });
    page = await context.newPage();
  }, 120_000);

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

  it('RFC 9470 §3 + §5 — a password-only token is refused with the challenge, the BFF sends the person through /authorize with acr_values, a passkey sign-in, and the repeated call succeeds', {
    timeout: 120_000,
  }, async () => {
    await addVirtualAuthenticator(context, page);

    // 1. Alice registers a passkey on /account (signed in there with her password).
    await registerPasskeyOnAccount(page, issuer, { username: 'alice', password: PASSWORD });

    // 2. She signs in to the cookie jar through the BFF. Her Tessera session is a password one.
    await page.goto(`${base}/`);
    await page.locator('#sign-in').click();
    await page.waitForURL((url) => url.origin === base || url.pathname === '/login');
    if (new URL(page.url()).origin === issuer) {
      await page.locator('#username').fill('alice');
      await page.locator('#password').fill(PASSWORD);
      await page.locator('button[type=submit]').click();
    }
    await page.waitForURL(`${base}/`);
    await expect.poll(() => page.locator('#user').textContent()).toBe('Alice Liddell');

    // 3. The last cookie: the API refuses the password-only token with RFC 9470 §3's challenge.
    const authorizeRequests: URL[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin === issuer && url.pathname === '/authorize') {
        authorizeRequests.push(url);
      }
    });
    await page.locator('#eat-last').click();
    await page.waitForURL((url) => url.origin === issuer && url.pathname === '/login');
    const refused = api.answers.filter((answer) => answer.path === '/cookies/eat-last');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.status).toBe(401);
    expect(refused[0]?.challenge).toMatch(/^Bearer /);
    expect(refused[0]?.challenge).toContain('error="insufficient_user_authentication"');
    expect(refused[0]?.challenge).toContain(`acr_values="${PHR}"`);
    expect(refused[0]?.challenge).toContain('max_age=300');
    const firstToken = api.seen.at(-1)?.slice('Bearer '.length) ?? '';
    expect(decodeJwt(firstToken).acr).toBe('urn:tessera:acr:pwd');

    // 4. The BFF sent her through /authorize with acr_values and max_age (RFC 9470 §5, OIDC Core
    // §3.1.2.1); Tessera asks for the stronger sign-in.
    expect(authorizeRequests).toHaveLength(1);
    expect(authorizeRequests[0]?.searchParams.get('acr_values')).toBe(PHR);
    expect(authorizeRequests[0]?.searchParams.get('max_age')).toBe('300');
    const passkeyButton = page.getByRole('button', { name: 'Sign in with a passkey' });
    await passkeyButton.waitFor({ state: 'visible' });
    await page.screenshot({ path: screenshotPath('step-up-prompt.png'), fullPage: true });
    await passkeyButton.click();
    await page.waitForURL(`${base}/`);
    await expect.poll(() => page.locator('#user').textContent()).toBe('Alice Liddell');

    // 5. The call is a POST: not replayed by the page, she makes it again, and it succeeds.
    expect(api.answers.filter((answer) => answer.path === '/cookies/eat-last')).toHaveLength(1);
    await page.locator('#eat-last').click();
    await expect.poll(() => page.locator('#result').textContent()).toBe('Yum. 0 left.');
    const accepted = api.answers.filter((answer) => answer.path === '/cookies/eat-last');
    expect(accepted.map((answer) => answer.status)).toEqual([401, 200]);
    const steppedUp = decodeJwt(api.seen.at(-1)?.slice('Bearer '.length) ?? '');
    expect(steppedUp.acr).toBe(PHR);

    // draft-ietf-oauth-browser-based-apps §6.1: no token in the browser at any point.
    const text = await browserSideText();
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    expect(text).not.toMatch(/tsr_[a-z]+_/);
    for (const header of api.seen) {
      expect(text).not.toContain(header.slice('Bearer '.length));
    }
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });
});
