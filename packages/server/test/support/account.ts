/** Signing in to the account page (`/account/login`) with the password, for the account tests. */
import { expect } from 'vitest';
import type { TestServer } from './bootstrap.js';
import { Browser, hiddenFields, PASSWORD } from './login.js';

export async function accountSignIn(
  server: TestServer,
  browser = new Browser(server),
  username = 'alice',
): Promise<Browser> {
  const page = await browser.get('/account/login');
  expect(page.statusCode).toBe(200);
  const response = await browser.post('/account/login', {
    csrf_token: hiddenFields(page.body).csrf_token ?? '',
    username,
    password: PASSWORD,
  });
  expect(response.statusCode).toBe(303);
  expect(response.headers.location).toBe('/account');
  return browser;
}
