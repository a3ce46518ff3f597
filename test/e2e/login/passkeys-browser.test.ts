/**
 * Passkeys in a real browser: headless Chromium (`playwright-core` + Debian's `chromium`) with a
 * CDP virtual authenticator (CTAP2, internal transport, resident keys, user verification) against a
 * listening Tessera whose issuer is `http://localhost:PORT` (WebAuthn needs a secure context and a
 * domain: `localhost` is both, `127.0.0.1` is neither for WebAuthn).
 *
 * The person signs in to the account page with a password, adds a passkey, signs out, and signs
 * in to an application with the passkey alone; openid-client checks the ID token, whose `amr` says
 * `hwk` and `user` (RFC 8176) and whose `acr` is phishing-resistant. Screenshots: screenshotPath (docs/img/ with TESSERA_SCREENSHOTS=docs).
 */
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable } from '../support/chromium.js';
import { codeRequest } from '../support/openid.js';
import { screenshotPath } from '../support/screenshots.js';
import { useE2eSite } from '../support/site.js';
import { ALICE, PASSWORD } from '../support/tessera.js';
import { addVirtualAuthenticator, registerPasskeyOnAccount } from '../support/webauthn.js';

describe.skipIf(!chromiumAvailable())('passkeys in Chromium with a virtual authenticator', () => {
  const site = useE2eSite({
    hostname: 'localhost',
    // `localhost` is the loopback the server listens on.
    chromiumArgs: ['--host-resolver-rules=MAP localhost 127.0.0.1'],
  });

  it('WebAuthn L3 §7.1 + §7.2 — register a passkey on /account, sign out, sign in with the passkey alone: amr hwk + user', {
    timeout: 120_000,
  }, async () => {
    const { issuer, appUrl, browser, admin } = site;
    const user = await admin<{ id: string }>('POST', '/admin/users', ALICE);
    const client = await admin<{ client_id: string; client_secret: string }>('POST', '/admin/clients', {
      name: 'Cookie Jar',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [`${appUrl}/callback`],
      token_endpoint_auth_method: 'client_secret_basic',
    });

    const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
    const page = await context.newPage();
    const { cdp, authenticatorId } = await addVirtualAuthenticator(context, page);

    // Not signed in: /account sends the person to its sign-in page; the page script runs
    // navigator.credentials.create() and posts the result.
    await registerPasskeyOnAccount(page, issuer, { username: 'alice', password: PASSWORD });
    expect(await page.textContent('#passkeys')).toContain('Chromium virtual key');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]?.isResidentCredential).toBe(true);
    const [stored] = await admin<{ items: Array<{ credential_id: string; name: string }> }>(
      'GET',
      `/admin/users/${user.id}/passkeys`,
    ).then((body) => body.items);
    expect(stored?.name).toBe('Chromium virtual key');
    await page.screenshot({ path: screenshotPath('account-page.png'), fullPage: true });

    // Sign out. The sign-in page asks for a passkey through the username field's autofill
    // (conditional mediation, WebAuthn L3 §5.1.4.1); the virtual authenticator answers it at once,
    // so the person is back on /account, signed in by the passkey.
    await page.locator('form[action="/account/logout"] button').click();
    await page.waitForURL(`${issuer}/account`);
    const sessions = await admin<{ items: Array<{ amr: string[] }> }>(
      'GET',
      `/admin/sessions?user_id=${user.id}`,
    );
    expect(sessions.items.map((session) => session.amr)).toEqual([['hwk', 'user']]);

    // From here on, a browser without conditional mediation: the button is the way in.
    await page.addInitScript(() => {
      PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    });
    await page.locator('form[action="/account/logout"] button').click();
    await page.waitForURL(`${issuer}/account/login`);

    // An application asks; the login page offers the passkey (button and username autofill).
    const config = await oidc.discovery(
      new URL(issuer),
      client.client_id,
      undefined,
      oidc.ClientSecretBasic(client.client_secret),
      { execute: [oidc.allowInsecureRequests] },
    );
    const request = await codeRequest(config, { redirectUri: `${appUrl}/callback`, scope: 'openid profile' });
    await page.goto(request.url.href);
    await page.waitForURL(`${issuer}/login?**`);
    expect(await page.getAttribute('#username', 'autocomplete')).toBe('username webauthn');
    const passkeyButton = page.getByRole('button', { name: 'Sign in with a passkey' });
    await passkeyButton.waitFor({ state: 'visible' });
    await page.screenshot({ path: screenshotPath('passkey-sign-in.png'), fullPage: true });
    await passkeyButton.click();
    await page.waitForURL(`${issuer}/consent?**`);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${appUrl}/callback?**`);

    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
      ...request.checks,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    expect(claims?.sub).toBe(user.id);
    expect(claims?.amr).toEqual(expect.arrayContaining(['hwk', 'user']));
    expect(claims?.amr).not.toContain('pwd');
    expect(claims?.acr).toBe('urn:tessera:acr:phr');
    const after = await admin<{ items: Array<{ last_used_at: number | null }> }>(
      'GET',
      `/admin/users/${user.id}/passkeys`,
    );
    expect(after.items[0]?.last_used_at).not.toBeNull();
    await context.close();
  });
});
