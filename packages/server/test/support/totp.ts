/**
 * TOTP helpers for tests: codes computed independently of the server with Debian's `oathtool`
 * (RFC 6238 reference behaviour), and enrolment through the account pages.
 */
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import type { TestServer } from './bootstrap.js';
import { type Browser, hiddenFields } from './login.js';

export const OATHTOOL = '/usr/bin/oathtool';

/** The RFC 6238 code of `secret` (base32) at `epoch` seconds, by oathtool. */
export function oathtoolCode(secret: string, epoch: number): string {
  return execFileSync(OATHTOOL, ['--totp', '-b', secret, '-N', `@${epoch}`], { encoding: 'utf8' }).trim();
}

function csrfOf(html: string): string {
  const token = hiddenFields(html).csrf_token;
  if (token === undefined) {
    throw new Error(`no csrf_token in ${html.slice(0, 200)}`);
  }
  return token;
}

/** Starts an enrolment for the browser's signed-in person; returns the shown secret and page. */
export async function beginTotp(browser: Browser): Promise<{ secret: string; uri: string; html: string }> {
  const status = await browser.get('/account/security/totp');
  expect(status.statusCode).toBe(200);
  const page = await browser.post('/account/security/totp', { csrf_token: csrfOf(status.body) });
  expect(page.statusCode).toBe(200);
  const secret = /<code id="totp-secret">([A-Z2-7]+)<\/code>/.exec(page.body)?.[1];
  const uri = /<code id="totp-uri"[^>]*>([^<]+)<\/code>/.exec(page.body)?.[1];
  if (secret === undefined || uri === undefined) {
    throw new Error(`no secret on the enrolment page: ${page.body.slice(0, 300)}`);
  }
  return {
    secret,
    uri: uri.replace(/&#(\d+);/g, (_m, c: string) => String.fromCharCode(Number(c))),
    html: page.body,
  };
}

/** Confirms the pending enrolment with `code`; returns the page. */
export async function confirmTotp(browser: Browser, code: string) {
  const status = await browser.get('/account/security/totp');
  return browser.post('/account/security/totp/confirm', { csrf_token: csrfOf(status.body), code });
}

/** Enrols TOTP for the signed-in browser at the server's current time; returns secret and recovery codes. */
export async function enrolTotp(
  t: TestServer,
  browser: Browser,
): Promise<{ secret: string; recoveryCodes: string[] }> {
  const { secret } = await beginTotp(browser);
  const confirmed = await confirmTotp(browser, oathtoolCode(secret, t.clock.now()));
  expect(confirmed.statusCode).toBe(200);
  const recoveryCodes = [...confirmed.body.matchAll(/<li><code>([0-9a-z-]+)<\/code><\/li>/g)].map(
    (m) => m[1] as string,
  );
  return { secret, recoveryCodes };
}

/** POSTs one of the account TOTP forms with the page's CSRF token. */
export async function accountPost(browser: Browser, path: string, fields: Record<string, string> = {}) {
  const status = await browser.get('/account/security/totp');
  return browser.post(path, { csrf_token: csrfOf(status.body), ...fields });
}
