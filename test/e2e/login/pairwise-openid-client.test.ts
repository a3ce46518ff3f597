/**
 * Issue 16 item 5, OpenID Connect Core §8: the certified RP library `openid-client` v6 signs in at a
 * `pairwise` client in real headless Chromium and gets a `sub` that is not the account id; its own
 * userinfo check (§5.3.2: the userinfo `sub` must equal the ID token's) passes, and RP-initiated
 * logout with that ID token as `id_token_hint` signs the browser out without asking.
 */
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable } from '../support/chromium.js';
import { codeRequest } from '../support/openid.js';
import { useE2eSite } from '../support/site.js';
import { ALICE, PASSWORD } from '../support/tessera.js';

describe.skipIf(!chromiumAvailable())('openid-client + Chromium at a pairwise client (OIDC Core §8)', () => {
  const site = useE2eSite();

  it('§8: a pairwise sub in the ID token and at userinfo; §5.3.2 checked by openid-client; logout by hint', {
    timeout: 120_000,
  }, async () => {
    const { issuer, appUrl, browser, admin } = site;
    const user = await admin<{ id: string }>('POST', '/admin/users', ALICE);
    const client = await admin<{ client_id: string; client_secret: string; subject_type: string }>(
      'POST',
      '/admin/clients',
      {
        name: 'E2E pairwise app',
        grant_types: ['authorization_code'],
        redirect_uris: [`${appUrl}/callback`],
        post_logout_redirect_uris: [`${appUrl}/signed-out`],
        subject_type: 'pairwise',
      },
    );
    expect(client.subject_type).toBe('pairwise');
    const config = await oidc.discovery(
      new URL(issuer),
      client.client_id,
      undefined,
      oidc.ClientSecretBasic(client.client_secret),
      { execute: [oidc.allowInsecureRequests] },
    );
    expect(config.serverMetadata().subject_types_supported).toEqual(['public', 'pairwise']);

    const request = await codeRequest(config, { redirectUri: `${appUrl}/callback`, scope: 'openid profile' });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(request.url.href);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${issuer}/consent?**`);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${appUrl}/callback?**`);

    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
      ...request.checks,
      idTokenExpected: true,
    });
    const sub = tokens.claims()?.sub ?? '';
    expect(sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sub).not.toBe(user.id);
    // openid-client refuses a userinfo response whose sub differs from the expected one.
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, sub);
    expect(userinfo).toMatchObject({ sub, preferred_username: 'alice' });

    const state = oidc.randomState();
    await page.goto(
      oidc.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token ?? '',
        post_logout_redirect_uri: `${appUrl}/signed-out`,
        state,
      }).href,
    );
    await page.waitForURL(`${appUrl}/signed-out?**`);
    expect(new URL(page.url()).searchParams.get('state')).toBe(state);
    await context.close();
  });
});
