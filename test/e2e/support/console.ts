/**
 * What the console's Chromium tests share: the TOTP code from Debian's `oathtool` (RFC 6238,
 * computed independently of the server), axe-core's serious and critical violations, an
 * authenticator app turned on through /account, and the operator's sign-in to /console through
 * Tessera's own login page and second factor.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { requireService } from '../../../packages/server/test/support/requirements.js';
import { OATHTOOL } from '../../../packages/server/test/support/totp.js';
import { chromiumAvailable } from './chromium.js';
import { PASSWORD } from './tessera.js';

/** Chromium and oathtool are here (TESSERA_REQUIRE_SERVICES=1 makes their absence fail). */
export function consoleBrowserAvailable(): boolean {
  return chromiumAvailable() && requireService('oathtool', existsSync(OATHTOOL));
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export function oathtool(secret: string, epoch: number): string {
  return execFileSync(OATHTOOL, ['--totp', '-b', secret, '-N', `@${epoch}`], { encoding: 'utf8' }).trim();
}

export interface AxeViolation {
  id: string;
  impact: string | null;
}

/** axe-core's serious and critical violations on the page (its script added past the page's CSP). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** An authenticator app's secret and the time step its enrolment code used. */
export interface TotpEnrolment {
  secret: string;
  usedAt: number;
}

/** Signs in on /account and turns on an authenticator app; returns its secret and the step used. */
export async function enrolTotp(issuer: string, browser: Browser, username: string): Promise<TotpEnrolment> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${issuer}/account/login`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${issuer}/account`);
  await page.goto(`${issuer}/account/security/totp`);
  await page.click('text=Set up an authenticator app');
  const secret = (await page.textContent('#totp-secret')) ?? '';
  const usedAt = Math.floor(Date.now() / 1000);
  await page.fill('#code', oathtool(secret, usedAt));
  await page.click('text=Turn on');
  await page.waitForSelector('#recovery-codes');
  await context.close();
  return { secret, usedAt };
}

export interface ConsoleSignIn {
  issuer: string;
  username: string;
  /** The person's authenticator app; without it no second factor is expected. */
  totp?: TotpEnrolment;
  /** Where to start (default `/console`); the sign-in ends on a console page other than its own auth pages. */
  path?: string;
}

/** Opens a console page and signs in through the login page (and the second factor when given). */
export async function openConsole(page: Page, { issuer, username, totp, path = '/console' }: ConsoleSignIn) {
  await page.goto(`${issuer}${path}`);
  await page.waitForSelector('#username');
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  if (totp !== undefined) {
    await page.waitForSelector('#code');
    // A later step than the enrolment's (RFC 6238 §5.2: a step is accepted once; one step of drift).
    await page.fill(
      '#code',
      oathtool(totp.secret, Math.max(totp.usedAt + 30, Math.floor(Date.now() / 1000))),
    );
    await page.click('text=Verify');
  }
  await page.waitForURL(
    (url) => url.origin === new URL(issuer).origin && url.pathname.startsWith('/console'),
  );
}
