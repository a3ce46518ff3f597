/**
 * End to end (issue 13 "Done when", second run): in a real headless Chromium, a person signs in
 * with a password, sets up an authenticator app on /account/security/totp (the code computed
 * independently by Debian's `oathtool` from the key shown on the page), then signs in again with
 * password + TOTP; the ID token's `amr` contains pwd, otp and mfa (RFC 8176 §2) and its `acr` is
 * urn:tessera:acr:mfa. Real clock, real sockets, nothing mocked. Screenshots: screenshotPath (docs/img/ with TESSERA_SCREENSHOTS=docs).
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { decodeJwt } from 'jose';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { requireService } from '../../../packages/server/test/support/requirements.js';
import { OATHTOOL } from '../../../packages/server/test/support/totp.js';
import { chromiumAvailable } from '../support/chromium.js';
import { screenshotPath } from '../support/screenshots.js';
import { useE2eSite } from '../support/site.js';
import { PASSWORD } from '../support/tessera.js';

const available = chromiumAvailable() && requireService('oathtool', existsSync(OATHTOOL));

/** RFC 6238 code for `secret` at `epoch`, by oathtool (never by the code under test). */
function oathtool(secret: string, epoch: number): string {
  return execFileSync(OATHTOOL, ['--totp', '-b', secret, '-N', `@${epoch}`], { encoding: 'utf8' }).trim();
}

describe.skipIf(!available)('password + TOTP in Chromium (RFC 6238, RFC 8176)', () => {
  const site = useE2eSite();
  let client: { client_id: string; client_secret: string };

  /** Starts a code flow in the page; returns the PKCE verifier. */
  async function startSignIn(page: Page): Promise<string> {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${site.issuer}/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: `${site.appUrl}/callback`,
      scope: 'openid',
      state: randomBytes(8).toString('hex'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    await page.goto(url.toString());
    await page.fill('#username', 'alice');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    return verifier;
  }

  async function redeem(page: Page, verifier: string) {
    await page.waitForURL(`${site.appUrl}/callback**`);
    const code = new URL(page.url()).searchParams.get('code') ?? '';
    const response = await fetch(`${site.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: `${site.appUrl}/callback`,
        code_verifier: verifier,
      }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { id_token: string };
  }

  it('sets up TOTP on the account page, then password + code: amr [pwd, otp, mfa]', {
    timeout: 120_000,
  }, async () => {
    const { browser, admin } = site;
    await admin('POST', '/admin/users', { username: 'alice', password: PASSWORD });
    client = await admin('POST', '/admin/clients', {
      name: 'E2E bank',
      grant_types: ['authorization_code'],
      redirect_uris: [`${site.appUrl}/callback`],
      first_party: true,
    });

    // 1. A password sign-in, then the authenticator app on the account page.
    const first = await browser.newContext({ viewport: { width: 900, height: 1000 } });
    const page = await first.newPage();
    const verifier = await startSignIn(page);
    expect(decodeJwt((await redeem(page, verifier)).id_token).amr).toEqual(['pwd']);
    await page.goto(`${site.issuer}/account/security/totp`);
    await page.click('text=Set up an authenticator app');
    await page.waitForSelector('#totp-qr svg');
    const secret = (await page.textContent('#totp-secret')) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(await page.textContent('#totp-uri')).toContain(`secret=${secret}`);
    // The long setup link wraps inside the card instead of running off it.
    const overflow = await page.evaluate(() => {
      const uri = document.getElementById('totp-uri');
      const card = uri?.parentElement;
      return (uri?.getBoundingClientRect().right ?? 0) - (card?.getBoundingClientRect().right ?? 0);
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: screenshotPath('totp-enrolment.png'), fullPage: true });
    const enrolledAt = Math.floor(Date.now() / 1000);
    await page.fill('#code', oathtool(secret, enrolledAt));
    await page.click('text=Turn on');
    await page.waitForSelector('#recovery-codes');
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await first.close();

    // 2. A new browser: password, then the code. A step later than the one used at enrolment (the
    // next one at the earliest: RFC 6238 §5.2 accepts one step of drift), so it is not a replay.
    const second = await browser.newContext({ viewport: { width: 900, height: 1000 } });
    const again = await second.newPage();
    const verifier2 = await startSignIn(again);
    await again.waitForSelector('#code');
    expect(await again.textContent('h1')).toBe('Two-step verification');
    await again.screenshot({ path: screenshotPath('totp-second-factor.png'), fullPage: true });
    await again.fill('#code', oathtool(secret, Math.max(enrolledAt + 30, Math.floor(Date.now() / 1000))));
    await again.click('text=Verify');
    const tokens = await redeem(again, verifier2);
    const id = decodeJwt(tokens.id_token);
    expect(id.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(id.acr).toBe('urn:tessera:acr:mfa');
    await second.close();
  });
});
