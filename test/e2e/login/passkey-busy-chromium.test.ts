/**
 * The way in during a sign-in flood, in a real browser: every password check is taken (the argon2
 * bound, `login.verifyConcurrency` 1 and no queue, held by another person's sign-in), so the
 * person's password gets the busy page (503). That page carries no passkey ceremony of its own
 * (issue 18, `flood.login`: a refusal makes no challenge); its passkey button fetches one when
 * pressed, and the passkey signs the person in while the bound is still full. Headless Chromium with
 * a CDP virtual authenticator, as in passkeys-browser.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createPasswordHasher } from '../../../packages/server/src/users/password-hasher.js';
import { chromiumAvailable } from '../support/chromium.js';
import { useE2eSite } from '../support/site.js';
import { ALICE, PASSWORD } from '../support/tessera.js';
import { addVirtualAuthenticator, registerPasskeyOnAccount } from '../support/webauthn.js';

const real = createPasswordHasher();
let started = 0;
/** While set, every password check waits for it. */
let gate: Promise<void> | undefined;

describe.skipIf(!chromiumAvailable())('a passkey while every password check is taken (Chromium)', () => {
  const site = useE2eSite({
    hostname: 'localhost',
    chromiumArgs: ['--host-resolver-rules=MAP localhost 127.0.0.1'],
    overrides: { 'login.verifyConcurrency': 1, 'login.verifyQueue': 0 },
    passwordHasher: {
      hash: (password) => real.hash(password),
      verify: async (encoded, password) => {
        started += 1;
        await gate;
        return real.verify(encoded, password);
      },
      verifyDummy: async (password) => {
        started += 1;
        await gate;
        await real.verifyDummy(password);
      },
    },
  });

  it('the busy page (503) offers the passkey; pressed, it fetches a ceremony and signs in: amr hwk + user', {
    timeout: 120_000,
  }, async () => {
    const { issuer, browser, admin } = site;
    const alice = await admin<{ id: string }>('POST', '/admin/users', ALICE);
    await admin('POST', '/admin/users', { username: 'bob', password: PASSWORD, email: 'bob@example.com' });

    const context = await browser.newContext();
    const page = await context.newPage();
    await addVirtualAuthenticator(context, page);
    await registerPasskeyOnAccount(page, issuer, { username: 'alice', password: PASSWORD });
    // A browser without conditional mediation: the sign-in page's button is the way in.
    await page.addInitScript(() => {
      PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    });
    await page.locator('form[action="/account/logout"] button').click();
    await page.waitForURL(`${issuer}/account/login`);

    // Bob's sign-in takes the only password check and holds it.
    let open: () => void = () => {};
    gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const before = started;
    const other = await browser.newContext();
    const bob = await other.newPage();
    await bob.goto(`${issuer}/account/login`);
    await bob.getByLabel('Username').fill('bob');
    await bob.getByLabel('Password').fill(PASSWORD);
    const bobSignedIn = bob.waitForURL(`${issuer}/account`);
    // Awaited at the end; a failure before it must not leave it unhandled.
    bobSignedIn.catch(() => undefined);
    await bob.getByRole('button', { name: 'Sign in', exact: true }).click({ noWaitAfter: true });
    const limit = Date.now() + 10_000;
    while (started === before && Date.now() < limit) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(started).toBe(before + 1);

    // Alice's password is refused at once: the busy page, without a ceremony of its own.
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    const [busy] = await Promise.all([
      page.waitForResponse((response) => response.url() === `${issuer}/account/login`),
      page.getByRole('button', { name: 'Sign in', exact: true }).click(),
    ]);
    expect(busy.status()).toBe(503);
    expect(await page.textContent('#login-error')).toContain('Too many people are signing in');
    expect(await page.getAttribute('#passkey-form', 'data-options')).toBeNull();

    // The passkey button fetches a ceremony and signs her in while Bob's check still holds the bound.
    const [options] = await Promise.all([
      page.waitForResponse((response) => response.url() === `${issuer}/account/login/passkey/options`),
      page.getByRole('button', { name: 'Sign in with a passkey' }).click(),
    ]);
    expect(options.status()).toBe(200);
    await page.waitForURL(`${issuer}/account`);
    expect(started).toBe(before + 1);
    const sessions = await admin<{ items: Array<{ amr: string[] }> }>(
      'GET',
      `/admin/sessions?user_id=${alice.id}`,
    );
    expect(sessions.items.map((session) => session.amr)).toEqual([['hwk', 'user']]);

    open();
    await bobSignedIn;
    await other.close();
    await context.close();
  });
});
