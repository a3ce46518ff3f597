/**
 * End to end (issue 6 "Done when"): the certified RP library `openid-client` v6 completes
 * authorization code + PKCE + refresh + userinfo + RP-initiated logout against a listening Tessera,
 * while a real headless Chromium (`playwright-core` + Debian's `chromium`) fills in the login and
 * consent pages. Nothing is mocked: discovery, JWKS, ID-token validation, `iss` (RFC 9207) and
 * state/nonce checks are openid-client's own.
 */
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable } from '../support/chromium.js';
import { codeRequest } from '../support/openid.js';
import { useE2eSite } from '../support/site.js';
import { ALICE, PASSWORD } from '../support/tessera.js';

describe.skipIf(!chromiumAvailable())('openid-client + Chromium against a listening Tessera', () => {
  const site = useE2eSite();

  // A real browser on a shared machine: generous bounds, no timing assertions.
  it('authorization code + PKCE + refresh + userinfo + logout, with the login page in Chromium', {
    timeout: 120_000,
  }, async () => {
    const { issuer, appUrl, browser, admin } = site;
    const user = await admin<{ id: string }>('POST', '/admin/users', ALICE);
    const client = await admin<{ client_id: string; client_secret: string }>('POST', '/admin/clients', {
      name: 'E2E web app',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [`${appUrl}/callback`],
      post_logout_redirect_uris: [`${appUrl}/signed-out`],
      token_endpoint_auth_method: 'client_secret_basic',
    });

    const config = await oidc.discovery(
      new URL(issuer),
      client.client_id,
      undefined,
      oidc.ClientSecretBasic(client.client_secret),
      {
        execute: [oidc.allowInsecureRequests],
      },
    );
    expect(config.serverMetadata().authorization_response_iss_parameter_supported).toBe(true);

    const request = await codeRequest(config, {
      redirectUri: `${appUrl}/callback`,
      scope: 'openid profile email offline_access',
    });

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(request.url.href);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${issuer}/consent?**`);
    expect(await page.textContent('main')).toContain('See your email address');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${appUrl}/callback?**`);
    const callback = new URL(page.url());
    expect(callback.searchParams.get('iss')).toBe(issuer);

    // openid-client checks state, iss (RFC 9207), PKCE, the ID token signature, nonce, aud, azp, at_hash.
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      ...request.checks,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    expect(claims?.sub).toBe(user.id);
    expect(claims?.sid).toMatch(/^ses_/);
    expect(tokens.refresh_token).toMatch(/^tsr_rt_/);

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '');
    expect(refreshed.refresh_token).toMatch(/^tsr_rt_/);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    const userinfo = await oidc.fetchUserInfo(config, refreshed.access_token, user.id);
    expect(userinfo).toMatchObject({ sub: user.id, preferred_username: 'alice', email: 'alice@example.com' });

    // Single sign-on: a second authorization in the same browser needs no password.
    const second = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${appUrl}/callback`,
      scope: 'openid profile email offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    await page.goto(second.href);
    await page.waitForURL(`${appUrl}/callback?**`);

    const logoutState = oidc.randomState();
    const logout = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: `${appUrl}/signed-out`,
      state: logoutState,
    });
    await page.goto(logout.href);
    await page.waitForURL(`${appUrl}/signed-out?**`);
    expect(new URL(page.url()).searchParams.get('state')).toBe(logoutState);

    // Logout ended the session and revoked the refresh tokens issued under it.
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    // And the next authorization shows the login page again.
    await page.goto(second.href);
    await page.waitForURL(`${issuer}/login?**`);
    expect(await page.getByLabel('Password').isVisible()).toBe(true);
    await context.close();
  });
});
