/**
 * End to end (RFC 8628): a device (`@tessera/client`'s `deviceAuthorization()`) starts the flow
 * against a listening Tessera and polls; a real headless Chromium (`playwright-core` + Debian's
 * `chromium`) opens `verification_uri_complete`, confirms the pre-filled code, signs in on the
 * normal login page and approves; the device gets tokens that work at `/userinfo` and refresh.
 */
import type { DeviceCode } from '@tessera/client';
import { deviceAuthorization } from '@tessera/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../support/chromium.js';
import { ALICE, type E2eTessera, PASSWORD, startE2eTessera } from '../support/tessera.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

describe.skipIf(!chromiumAvailable())('device flow: @tessera/client polling, Chromium approving', () => {
  let tessera: E2eTessera;
  let issuer: string;
  let browser: Browser;
  const admin = <T>(method: string, path: string, body?: unknown) => tessera.admin<T>(method, path, body);

  beforeAll(async () => {
    // One-second polls keep the test short; the interval logic has its own tests.
    tessera = await startE2eTessera({ overrides: { 'device.interval': 1 } });
    issuer = tessera.issuer;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await tessera?.close();
  });

  it('RFC 8628 §3.3–3.5 — enter the code in Chromium, sign in, approve; the polling device gets tokens', {
    timeout: 120_000,
  }, async () => {
    await admin('POST', '/admin/users', ALICE);
    const client = await admin<{ client_id: string }>('POST', '/admin/clients', {
      name: 'Living Room TV',
      grant_types: [DEVICE_GRANT, 'refresh_token'],
      token_endpoint_auth_method: 'none',
      scope: 'openid offline_access profile',
    });

    let showCode: (code: DeviceCode) => void = () => {};
    const shown = new Promise<DeviceCode>((resolve) => {
      showCode = resolve;
    });
    const polling = deviceAuthorization({
      issuer,
      clientId: client.client_id,
      scope: 'openid offline_access profile',
      onCode: (code) => showCode(code),
      signal: AbortSignal.timeout(100_000),
    });
    const code = await shown;

    const page = await browser.newPage();
    await page.goto(code.verificationUriComplete ?? code.verificationUri);
    // RFC 8628 §5.4: the link only pre-fills the code; the person confirms it.
    expect(await page.getByLabel('Code').inputValue()).toBe(code.userCode);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${issuer}/login?**`);
    expect(await page.textContent('main')).toContain('Living Room TV');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${issuer}/device/confirm?**`);
    const confirm = await page.textContent('main');
    expect(confirm).toContain('Living Room TV');
    expect(confirm).toContain('See your name and username');
    expect(confirm).toContain('Signed in as alice');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Device connected' }).waitFor();

    const tokens = await polling;
    expect(tokens.refreshToken).toMatch(/^tsr_rt_/);
    const userinfo = await fetch(`${issuer}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    });
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toMatchObject({ preferred_username: 'alice' });
    await page.close();
  });
});
