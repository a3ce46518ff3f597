/**
 * The account page in German in a real browser: Chromium's locale sends `Accept-Language: de-DE`
 * (RFC 9110 §12.5.4), the page is German, and the passkey script's status line, which it reads
 * from the form's `data-*` attributes (no inline script), is German too. The second registration
 * of the same virtual authenticator is refused by the browser (WebAuthn L3 §5.1.3 step 20,
 * excludeCredentials → InvalidStateError), which the script reports.
 */
import { describe, expect, it } from 'vitest';
import { chromiumAvailable } from '../support/chromium.js';
import { useE2eSite } from '../support/site.js';
import { ALICE, PASSWORD } from '../support/tessera.js';
import { addVirtualAuthenticator } from '../support/webauthn.js';

describe.skipIf(!chromiumAvailable())('the account page in German, in Chromium', () => {
  const site = useE2eSite({
    hostname: 'localhost',
    chromiumArgs: ['--host-resolver-rules=MAP localhost 127.0.0.1'],
  });

  it('German labels, and the passkey script says in German that this passkey is already registered', {
    timeout: 120_000,
  }, async () => {
    const { issuer, browser, admin } = site;
    await admin('POST', '/admin/users', ALICE);
    const context = await browser.newContext({ locale: 'de-DE' });
    const page = await context.newPage();
    await addVirtualAuthenticator(context, page);

    await page.goto(`${issuer}/account`);
    await page.waitForURL(`${issuer}/account/login`);
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    await page.getByLabel('Benutzername').fill('alice');
    await page.getByLabel('Passwort').fill(PASSWORD);
    await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
    await page.waitForURL(`${issuer}/account`);
    expect(await page.textContent('h1')).toBe('Ihr Konto');

    await page.getByLabel('Name des neuen Passkeys').fill('Chromium');
    await page.getByRole('button', { name: 'Passkey hinzufügen' }).click();
    await page.waitForURL(`${issuer}/account?done=passkey_added#passkeys`);
    expect(await page.textContent('p.ok')).toBe('Der Passkey wurde hinzugefügt.');

    await page.getByRole('button', { name: 'Passkey hinzufügen' }).click();
    await expect
      .poll(() => page.textContent('#passkey-register-status'))
      .toBe('Dieser Passkey ist bereits registriert.');
    await context.close();
  });
});
