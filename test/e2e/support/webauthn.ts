/**
 * Passkeys in the Chromium tests: a CDP virtual authenticator (internal transport, resident keys,
 * user verification) and the steps that register one on Tessera's /account page.
 */
import type { BrowserContext, CDPSession, Page } from 'playwright-core';

/** Adds a platform authenticator that verifies the user; returns its CDP session and id. */
export async function addVirtualAuthenticator(
  context: BrowserContext,
  page: Page,
): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
  return { cdp, authenticatorId };
}

/**
 * Signs in on /account with a password (the page a person reaches without an application) and
 * adds a passkey named `name` there.
 */
export async function registerPasskeyOnAccount(
  page: Page,
  issuer: string,
  credentials: { username: string; password: string; name?: string },
): Promise<void> {
  await page.goto(`${issuer}/account`);
  await page.waitForURL(`${issuer}/account/login`);
  await page.getByLabel('Username').fill(credentials.username);
  await page.getByLabel('Password').fill(credentials.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${issuer}/account`);
  await page.getByLabel('Name of the new passkey').fill(credentials.name ?? 'Chromium virtual key');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.waitForURL(`${issuer}/account?done=passkey_added#passkeys`);
}
