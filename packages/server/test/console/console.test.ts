/**
 * `/console` (issue 17): people sign in through Tessera's own login as the first-party console
 * client, by the @tessera/client backend-for-frontend (authorization code + PKCE, tokens kept on the
 * server, the browser holding only a session cookie); the pages read the admin API with the
 * person's access token, so only operators with a second factor see it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CONSOLE_CLIENT_ID } from '../../src/compose/console.js';
import { ADMIN_READ_SCOPES } from '../../src/tokens/admin-tokens/scopes.js';
import { accountSignIn } from '../support/account.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { Browser, createUser, hiddenFields, PASSWORD } from '../support/login.js';
import { enrolTotp, oathtoolCode } from '../support/totp.js';

const ISSUER = 'http://localhost:9';

let t: TestServer;

afterEach(async () => {
  await t.close();
});

async function withTotp(username: string): Promise<string> {
  const { secret } = await enrolTotp(t, await accountSignIn(t, new Browser(t), username));
  t.clock.advance(30);
  return secret;
}

/** Opens /console in a fresh browser and signs in as `username`; returns the final page. */
async function openConsole(username: string, secret?: string) {
  const browser = new Browser(t);
  let response = await browser.get('/console');
  for (let step = 0; step < 12; step++) {
    if (response.statusCode === 302 || response.statusCode === 303) {
      const target = new URL(String(response.headers.location), ISSUER);
      expect(target.origin).toBe(ISSUER);
      response = await browser.get(target.pathname + target.search);
      continue;
    }
    const fields = hiddenFields(response.body);
    if (response.body.includes('action="/login"')) {
      response = await browser.post('/login', { ...fields, username, password: PASSWORD });
    } else if (response.body.includes('action="/login/second-factor"') && secret !== undefined) {
      response = await browser.post('/login/second-factor', {
        ...fields,
        code: oathtoolCode(secret, t.clock.now()),
      });
    } else {
      return { browser, response };
    }
  }
  throw new Error('too many steps');
}

async function setRole(userId: string, scopes: string[]) {
  const response = await t.app.inject({
    method: 'PUT',
    url: `/admin/users/${userId}/admin`,
    headers: t.adminHeaders,
    payload: { scopes },
  });
  expect(response.statusCode).toBe(200);
}

describe('/console', () => {
  it('an operator with a second factor signs in through the BFF and sees the overview; the browser holds no token', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const alice = await createUser(t, 'alice');
    await setRole(alice.id, ['admin']);
    const { browser, response } = await openConsole('alice', await withTotp('alice'));
    expect(response.statusCode, response.body.slice(0, 400)).toBe(200);
    expect(response.body).toContain('<h1>Tessera console</h1>');
    expect(response.body).toContain('alice');
    expect(response.body).toContain(CONSOLE_CLIENT_ID);
    // A strict CSP: no inline script, nothing from elsewhere.
    expect(String(response.headers['content-security-policy'])).toContain("default-src 'none'");
    expect(response.body).not.toMatch(/<script(?![^>]*src=)/);
    // Its own cookie name, so an application's BFF on another port of this host keeps its session.
    expect([...browser.cookies.keys()]).toContain('tessera-console');
    expect([...browser.cookies.keys()]).not.toContain('bff-session');
    // The session cookie is an opaque handle: no access, refresh or ID token reaches the browser.
    for (const [name, value] of browser.cookies) {
      expect(`${name}=${value}`).not.toMatch(/eyJ|tsr_(at|rt)_/);
    }
    expect(response.body).not.toMatch(/eyJ[\w-]+\.[\w-]+\.|tsr_(at|rt)_/);
  });

  it('Sign out ends the console session: the next visit goes back to the login', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const dana = await createUser(t, 'dana');
    await setRole(dana.id, ['admin']);
    const { browser, response } = await openConsole('dana', await withTotp('dana'));
    expect(response.body).toContain('action="/console/auth/logout"');
    const out = await browser.post('/console/auth/logout', {});
    expect(out.statusCode).toBe(303);
    expect([...browser.cookies.keys()]).not.toContain('tessera-console');
    const again = await browser.get('/console');
    expect(again.statusCode).toBe(303);
    expect(String(again.headers.location)).toBe('/console/auth/login?returnTo=/');
  });

  it('a read-only operator sees the overview (reads need only *:read)', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const lin = await createUser(t, 'lin');
    await setRole(lin.id, [...ADMIN_READ_SCOPES]);
    const { response } = await openConsole('lin', await withTotp('lin'));
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('clients:read');
  });

  it('a person without an admin role is refused with a clear page', async () => {
    t = await bootstrap({ issuer: ISSUER });
    await createUser(t, 'bob');
    const { response } = await openConsole('bob', await withTotp('bob'));
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('no admin role');
  });

  it('console.requireMfa — an operator without a second factor is sent to /account to set one up', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const carol = await createUser(t, 'carol');
    await setRole(carol.id, ['admin']);
    const { response } = await openConsole('carol');
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('Set up a second factor');
    expect(response.body).toContain('href="/account"');
  });

  it('console.enabled=false — /console answers 404 and no console client is made', async () => {
    t = await bootstrap({ issuer: ISSUER, 'console.enabled': false });
    expect((await t.app.inject({ method: 'GET', url: '/console' })).statusCode).toBe(404);
    expect(await t.store.findClient(CONSOLE_CLIENT_ID)).toBeUndefined();
  });
});
