/**
 * End to end (RFC 8628): a device (`@tessera/client`'s `deviceAuthorization()`) starts the flow
 * against a listening Tessera and polls; a real headless Chromium (`playwright-core` + Debian's
 * `chromium`) opens `verification_uri_complete`, confirms the pre-filled code, signs in on the
 * normal login page and approves; the device gets tokens that work at `/userinfo` and refresh.
 */
import type { DeviceCode } from '@tessera/client';
import { deviceAuthorization } from '@tessera/client';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../packages/server/src/config/load.js';
import { createLogger } from '../../../packages/server/src/log.js';
import { createRuntime, type Runtime } from '../../../packages/server/src/main.js';
import { freePort } from '../../../packages/server/test/support/listening.js';
import {
  CHROMIUM_PATH,
  isChromiumInstalled,
  requireService,
} from '../../../packages/server/test/support/requirements.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdefghijklmnopqrstuvwxyz';
const MASTER_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const PASSWORD = 'a long enough passphrase';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const available = requireService('Chromium', isChromiumInstalled());

describe.skipIf(!available)('device flow: @tessera/client polling, Chromium approving', () => {
  let runtime: Runtime;
  let issuer: string;
  let browser: Browser;

  async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(issuer + path, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`${method} ${path}: ${response.status} ${text}`);
    }
    return JSON.parse(text) as T;
  }

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      env: {},
      overrides: {
        dev: true,
        issuer,
        host: '127.0.0.1',
        port,
        'database.url': ':memory:',
        masterKey: MASTER_KEY,
        adminToken: ADMIN_TOKEN,
        'log.level': 'silent',
        // One-second polls keep the test short; the interval logic has its own tests.
        'device.interval': 1,
      },
    });
    runtime = await createRuntime(config, { logger: createLogger({ level: 'silent' }) });
    await runtime.app.listen({ host: '127.0.0.1', port });
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await runtime?.close();
  });

  it('RFC 8628 §3.3–3.5 — enter the code in Chromium, sign in, approve; the polling device gets tokens', {
    timeout: 120_000,
  }, async () => {
    await admin('POST', '/admin/users', {
      username: 'alice',
      password: PASSWORD,
      email: 'alice@example.com',
      name: 'Alice',
    });
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
