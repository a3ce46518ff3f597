/**
 * Pages an operator makes their own (docs/customize.md): the template folder (theme.css, logo,
 * texts.<lang>.json with scope descriptions), brand settings and footer links, and the language
 * chosen from ui_locales (OIDC Core §3.1.2.1) then Accept-Language (RFC 9110 §12.5.4).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import type { TestClient } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createUser,
  hiddenFields,
  PASSWORD,
  pkcePair,
} from '../support/login.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', '..', '..', 'docs', 'customize-example');
const pkce = pkcePair();
const PKCE = { code_challenge: pkce.challenge, code_challenge_method: 'S256' };

let t: TestServer | undefined;
let c: TestClient;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function start(overrides: Record<string, unknown> = {}): Promise<TestServer> {
  t = await bootstrap({
    'pages.templateDir': EXAMPLE,
    'pages.brandName': 'The Cookie Jar',
    'pages.privacyUrl': 'https://cookies.example/privacy',
    'pages.helpUrl': 'https://cookies.example/help',
    ...overrides,
  });
  await createUser(t);
  c = await createCodeClient(t, { scope: ['cookies:read', 'cookies:eat'] });
  return t;
}

async function loginPage(server: TestServer, language: string | null, params: Record<string, string> = {}) {
  const browser = new Browser(server);
  if (language !== null) {
    browser.headers['accept-language'] = language;
  }
  const begin = await browser.get(
    authorizeUrl(c.client, { ...PKCE, scope: 'openid cookies:eat', ...params }),
  );
  const page = await browser.get(String(begin.headers.location));
  expect(page.statusCode).toBe(200);
  return { browser, page };
}

describe('the template folder (pages.templateDir)', () => {
  it("the login page links the operator's theme.css and logo, served same-origin; the CSP allows only them", async () => {
    const server = await start();
    const { page } = await loginPage(server, null);
    expect(page.body).toContain('<link rel="stylesheet" href="/pages/theme.css">');
    expect(page.body).toContain('<img src="/pages/logo.svg" alt="The Cookie Jar">');
    expect(page.body).toContain('<a href="https://cookies.example/privacy">Privacy</a>');
    expect(page.body).toContain('<a href="https://cookies.example/help">Help</a>');
    expect(page.body).not.toContain('>Terms<');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+' 'self';/);
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).not.toContain('unsafe-inline');

    const css = await server.app.inject({ method: 'GET', url: '/pages/theme.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toContain('--accent: #8a3b12');
    const logo = await server.app.inject({ method: 'GET', url: '/pages/logo.svg' });
    expect(logo.headers['content-type']).toBe('image/svg+xml');
    expect(String(logo.headers['content-security-policy'])).toContain('sandbox');
    const cached = await server.app.inject({
      method: 'GET',
      url: '/pages/logo.svg',
      headers: { 'if-none-match': String(logo.headers.etag) },
    });
    expect(cached.statusCode).toBe(304);
  });

  it('without a folder the pages carry no theme link, and the CSP allows the built-in style only', async () => {
    t = await bootstrap();
    await createUser(t);
    c = await createCodeClient(t, { scope: ['cookies:read', 'cookies:eat'] });
    const { page } = await loginPage(t, null);
    expect(page.body).not.toContain('<link rel="stylesheet"');
    expect(String(page.headers['content-security-policy'])).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+';/);
    expect((await t.app.inject({ method: 'GET', url: '/pages/theme.css' })).statusCode).toBe(404);
  });

  it("texts.<lang>.json overrides a text; the consent page shows the operator's scope descriptions", async () => {
    const server = await start();
    const { browser, page } = await loginPage(server, null);
    expect(page.body).toContain('<h1>Welcome back</h1>');
    const afterLogin = await browser.post('/login', {
      ...hiddenFields(page.body),
      username: 'alice',
      password: PASSWORD,
    });
    const consent = await browser.get(String(afterLogin.headers.location));
    expect(consent.body).toContain('<li>Eat cookies from your jar</li>');
    expect(consent.body).toContain('<li>Confirm that it is you (your account identifier)</li>');
  });

  it('a texts file naming an unknown text is refused at startup, naming the file and the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-pages-'));
    writeFileSync(join(dir, 'texts.de.json'), JSON.stringify({ 'login.titel': 'Hallo' }));
    await expect(bootstrap({ 'pages.templateDir': dir })).rejects.toThrow(
      /texts\.de\.json names the unknown text "login\.titel"/,
    );
  });
});

describe('translations', () => {
  it('RFC 9110 §12.5.4 — Accept-Language de → the login page in German, <html lang="de">, the operator\'s German texts', async () => {
    const server = await start();
    const { page } = await loginPage(server, 'de-DE,de;q=0.9,en;q=0.5');
    expect(page.body).toContain('<html lang="de">');
    expect(page.headers['content-language']).toBe('de');
    expect(page.body).toContain('<h1>Willkommen zurück</h1>');
    expect(page.body).toContain('<label for="username">Benutzername</label>');
    expect(page.body).toContain('<label for="password">Passwort</label>');
    expect(page.body).toContain('>Datenschutz</a>');
  });

  it('German without the operator folder: the shipped texts, and the consent page describes scopes in German', async () => {
    t = await bootstrap();
    await createUser(t);
    c = await createCodeClient(t, { scope: ['cookies:read', 'cookies:eat'] });
    const { browser, page } = await loginPage(t, 'de');
    expect(page.body).toContain('<h1>Anmelden</h1>');
    const afterLogin = await browser.post('/login', {
      ...hiddenFields(page.body),
      username: 'alice',
      password: 'wrong',
    });
    expect(afterLogin.body).toContain('Benutzername oder Passwort ist falsch.');
    const signedIn = await browser.post('/login', {
      ...hiddenFields(page.body),
      username: 'alice',
      password: PASSWORD,
    });
    const consent = await browser.get(String(signedIn.headers.location));
    expect(consent.body).toContain('<h1>Zugriff erlauben?</h1>');
    expect(consent.body).toContain('Bestätigen, dass Sie es sind');
    expect(consent.body).toContain('Die Berechtigung „cookies:eat“ nutzen');
  });

  it('OIDC Core §3.1.2.1 — ui_locales comes before Accept-Language', async () => {
    const server = await start();
    const { page } = await loginPage(server, 'de', { ui_locales: 'fr en' });
    expect(page.body).toContain('<html lang="en">');
    expect(page.body).toContain('<h1>Welcome back</h1>');
    const german = await loginPage(server, 'en', { ui_locales: 'de-AT' });
    expect(german.page.body).toContain('<html lang="de">');
  });

  it('pages.defaultLocale — a browser naming no available language gets the default', async () => {
    const server = await start({ 'pages.defaultLocale': 'de' });
    const { page } = await loginPage(server, 'fr, ja;q=0.5');
    expect(page.body).toContain('<html lang="de">');
  });
});

describe('error pages', () => {
  it('an error page says what a person can do and carries the request id; the developer detail is folded away', async () => {
    const server = await start();
    const browser = new Browser(server);
    browser.headers['accept-language'] = 'de';
    const response = await browser.get('/login?interaction=garbage');
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('<h1>Das hat nicht geklappt</h1>');
    expect(response.body).toMatch(/<code id="request-id">req_[A-Za-z0-9_-]+<\/code>/);
    expect(response.body).toContain('<details class="muted"><summary>Angaben für die Entwickler');
  });
});
