/**
 * Signing an operator in to /console through inject(): the role is set through the admin API, the
 * person enrols an authenticator app on /account, then the console's sign-in (authorization code +
 * PKCE through the BFF, password, TOTP) is followed redirect by redirect.
 */
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { accountSignIn } from './account.js';
import type { TestServer } from './bootstrap.js';
import { Browser, createUser, hiddenFields, PASSWORD } from './login.js';
import { enrolTotp, oathtoolCode } from './totp.js';

/**
 * Makes `username` an operator with `scopes` and opens `path` in the console as them; returns the
 * first page after the sign-in (whatever it is: the page, or a refusal).
 */
export async function openConsole(
  t: TestServer,
  issuer: string,
  username: string,
  scopes: string[],
  path = '/console',
): Promise<{ browser: Browser; response: LightMyRequestResponse }> {
  const person = await createUser(t, username);
  const role = await t.app.inject({
    method: 'PUT',
    url: `/admin/users/${person.id}/admin`,
    headers: t.adminHeaders,
    payload: { scopes },
  });
  expect(role.statusCode).toBe(200);
  const { secret } = await enrolTotp(t, await accountSignIn(t, new Browser(t), username));
  t.clock.advance(30);
  const browser = new Browser(t);
  let response = await browser.get(path);
  for (let step = 0; step < 12; step++) {
    if (response.statusCode === 302 || response.statusCode === 303) {
      const target = new URL(String(response.headers.location), issuer);
      response = await browser.get(target.pathname + target.search);
      continue;
    }
    const fields = hiddenFields(response.body);
    if (response.body.includes('action="/login"')) {
      response = await browser.post('/login', { ...fields, username, password: PASSWORD });
    } else if (response.body.includes('action="/login/second-factor"')) {
      response = await browser.post('/login/second-factor', {
        ...fields,
        code: oathtoolCode(secret, t.clock.now()),
      });
    } else {
      return { browser, response };
    }
  }
  throw new Error(`the console sign-in of ${username} took more than 12 steps`);
}

/**
 * A browser signed in to the console's overview as an operator with `scopes`, sending what a
 * browser sends with a form post from the console's own page (same-origin fetch metadata, Origin).
 */
export async function consoleOperator(
  t: TestServer,
  issuer: string,
  username: string,
  scopes: string[],
): Promise<Browser> {
  const { browser, response } = await openConsole(t, issuer, username, scopes);
  expect(response.body).toContain('<h1>Tessera console</h1>');
  browser.headers['sec-fetch-site'] = 'same-origin';
  browser.headers.origin = issuer;
  return browser;
}
