/**
 * End to end: the runnable external login page of docs/customize.md
 * (docs/customize-example/external-login.mjs) in front of a real Tessera with `login.externalUrl`,
 * driven by headless Chromium: authorize → the external page (login_challenge) → POST
 * /admin/login/accept → back to Tessera's consent page in the same browser → the client's callback.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../packages/server/test/support/listening.js';
import { chromiumAvailable } from '../support/chromium.js';
import { useE2eSite } from '../support/site.js';
import { ADMIN_TOKEN, ALICE } from '../support/tessera.js';

const SCRIPT = join(import.meta.dirname, '..', '..', '..', 'docs', 'customize-example', 'external-login.mjs');
const externalPort = await freePort();

describe.skipIf(!chromiumAvailable())(
  'an external login page (docs/customize-example/external-login.mjs)',
  () => {
    const site = useE2eSite({
      overrides: { 'login.externalUrl': `http://127.0.0.1:${externalPort}/sign-in` },
    });
    let external: ChildProcess | undefined;

    beforeAll(async () => {
      external = spawn(process.execPath, [SCRIPT], {
        env: {
          ...process.env,
          TESSERA_URL: site.issuer,
          TESSERA_ADMIN_TOKEN: ADMIN_TOKEN,
          PORT: String(externalPort),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await once(external.stdout ?? external, 'data');
    }, 60_000);
    afterAll(() => {
      external?.kill();
    });

    it('signs the person in through the external page and continues the authorization request', {
      timeout: 120_000,
    }, async () => {
      await site.admin('POST', '/admin/users', ALICE);
      const client = await site.admin<{ client_id: string }>('POST', '/admin/clients', {
        name: 'Cookie Jar',
        grant_types: ['authorization_code'],
        redirect_uris: [`${site.appUrl}/callback`],
        token_endpoint_auth_method: 'none',
      });
      const context = await site.browser.newContext();
      const page = await context.newPage();
      const url = new URL(`${site.issuer}/authorize`);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: client.client_id,
        redirect_uri: `${site.appUrl}/callback`,
        scope: 'openid',
        state: 'xyz',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSstw-cM',
        code_challenge_method: 'S256',
      }).toString();
      await page.goto(url.href);
      await page.waitForURL(`http://127.0.0.1:${externalPort}/sign-in?login_challenge=**`);
      await page.getByLabel('Username').fill('alice');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${site.issuer}/consent?**`);
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL(`${site.appUrl}/callback?**`);
      const callback = new URL(page.url());
      expect(callback.searchParams.get('code')).toMatch(/^tsr_ac_/);
      expect(callback.searchParams.get('state')).toBe('xyz');
      await context.close();
    });
  },
);
