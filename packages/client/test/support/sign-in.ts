/**
 * Drives Tessera's sign-in pages (authorize → login form → consent) for a listening Tessera
 * through inject(), with the cookie jar of the server's own test helpers, and returns the final
 * redirect to the application (the callback URL with `code`, `state` and `iss`).
 */

import type { TestServer } from '../../../server/test/support/bootstrap.js';
import { Browser, hiddenFields, PASSWORD } from '../../../server/test/support/login.js';

export async function signInAt(
  t: TestServer,
  issuer: string,
  url: URL | string,
  options: { username?: string; password?: string; consent?: 'allow' | 'deny'; browser?: Browser } = {},
): Promise<URL> {
  const browser = options.browser ?? new Browser(t);
  let response = await browser.get(String(url));
  for (let step = 0; step < 6; step++) {
    if (response.statusCode === 303 || response.statusCode === 302) {
      const target = new URL(String(response.headers.location), issuer);
      if (target.origin !== new URL(issuer).origin) {
        return target;
      }
      response = await browser.get(target.toString());
      continue;
    }
    if (response.statusCode !== 200) {
      throw new Error(`unexpected ${response.statusCode}: ${response.body.slice(0, 300)}`);
    }
    const fields = hiddenFields(response.body);
    if (response.body.includes('action="/login"')) {
      response = await browser.post('/login', {
        ...fields,
        username: options.username ?? 'alice',
        password: options.password ?? PASSWORD,
      });
    } else if (response.body.includes('action="/consent"')) {
      response = await browser.post('/consent', { ...fields, decision: options.consent ?? 'allow' });
    } else {
      throw new Error(`unexpected page: ${response.body.slice(0, 300)}`);
    }
  }
  throw new Error('too many steps');
}
