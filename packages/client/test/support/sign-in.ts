/**
 * Drives Tessera's sign-in pages (authorize → login form → consent) for a listening Tessera
 * through inject(), with the server's own test browser, and returns the final redirect to the
 * application (the callback URL with `code`, `state` and `iss`).
 */

import type { TestServer } from '../../../server/test/support/bootstrap.js';
import { Browser, signIn } from '../../../server/test/support/login.js';

export async function signInAt(
  t: TestServer,
  issuer: string,
  url: URL | string,
  options: { username?: string; password?: string; consent?: 'allow' | 'deny'; browser?: Browser } = {},
): Promise<URL> {
  const { browser, ...rest } = options;
  const result = await signIn(browser ?? new Browser(t), String(url), { ...rest, issuer });
  return result.location;
}
