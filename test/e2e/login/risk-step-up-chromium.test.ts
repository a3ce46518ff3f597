/**
 * Risk-based sign-in in a real browser (issue 15 "Done when"): headless Chromium against a
 * listening Tessera with `risk.enabled` and `risk.secondFactor: on_risk`, behind one trusted proxy
 * (`trustProxy: 1`, so the client address is the `X-Forwarded-For` the browser sends, as a proxy
 * would set it).
 *
 * A person adds a passkey (CDP virtual authenticator) on /account, then signs in to an application
 * with the password a few times from one network with one browser: no second step. A sign-in from
 * another network with another User-Agent is stepped up to the passkey: the second-factor page, no
 * session until the passkey answers, then the session (amr pwd + hwk + user + mfa) and the code.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../packages/server/test/support/wait-for.js';
import { chromiumAvailable } from '../support/chromium.js';
import { useE2eSite } from '../support/site.js';
import { ALICE, PASSWORD } from '../support/tessera.js';
import { addVirtualAuthenticator, registerPasskeyOnAccount } from '../support/webauthn.js';

const HOME = {
  ip: '203.0.113.5',
  userAgent:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
};
const ELSEWHERE = {
  ip: '198.51.100.7',
  userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0',
};

interface Decision {
  decision: string;
  outcome: string;
  ip: string | null;
  factors: { name: string; value: number }[];
}

describe.skipIf(!chromiumAvailable())('risk-based sign-in in Chromium (issue 15 §1)', () => {
  const site = useE2eSite({
    hostname: 'localhost',
    chromiumArgs: ['--host-resolver-rules=MAP localhost 127.0.0.1'],
    overrides: {
      'risk.enabled': true,
      'risk.secondFactor': 'on_risk',
      'risk.stepUpScore': 1,
      trustProxy: 1,
    },
  });

  it('a sign-in from a new network with a new User-Agent is stepped up to the passkey; only after it succeeds is the session granted', {
    timeout: 180_000,
  }, async () => {
    const { issuer, appUrl, browser, admin } = site;
    const user = await admin<{ id: string }>('POST', '/admin/users', ALICE);
    const client = await admin<{ client_id: string }>('POST', '/admin/clients', {
      name: 'Cookie Jar',
      grant_types: ['authorization_code'],
      redirect_uris: [`${appUrl}/callback`],
      token_endpoint_auth_method: 'none',
    });
    const authorizeUrl = () => {
      const url = new URL(`${issuer}/authorize`);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: client.client_id,
        redirect_uri: `${appUrl}/callback`,
        scope: 'openid',
        state: 'st',
        code_challenge: createHash('sha256')
          .update('a-verifier-the-test-never-redeems-0123456789')
          .digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      return url.href;
    };
    const sessionsOf = async () =>
      (
        await admin<{ items: Array<{ amr: string[]; ip: string | null }> }>(
          'GET',
          `/admin/sessions?user_id=${user.id}`,
        )
      ).items;
    const contextAt = (where: typeof HOME) =>
      browser.newContext({ userAgent: where.userAgent, extraHTTPHeaders: { 'x-forwarded-for': where.ip } });

    // At home: add a passkey on /account (signed in there with the password).
    const home = await contextAt(HOME);
    const homePage = await home.newPage();
    const { cdp, authenticatorId } = await addVirtualAuthenticator(home, homePage);
    await registerPasskeyOnAccount(homePage, issuer, { username: 'alice', password: PASSWORD });
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    await home.close();

    // A few sign-ins from home with the password alone: no second step (on_risk), straight back.
    for (let i = 0; i < 3; i++) {
      const context = await contextAt(HOME);
      const page = await context.newPage();
      await page.goto(authorizeUrl());
      await page.waitForURL(`${issuer}/login?**`);
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(/\/(consent|callback)\?/);
      if (page.url().includes('/consent?')) {
        await page.getByRole('button', { name: 'Allow' }).click();
      }
      await page.waitForURL(`${appUrl}/callback?**`);
      expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
      await context.close();
    }
    const before = await sessionsOf();
    expect(before.every((session) => session.ip === HOME.ip)).toBe(true);

    // From elsewhere, another browser, the same passkey on its authenticator.
    const away = await contextAt(ELSEWHERE);
    const page = await away.newPage();
    // No conditional mediation: the passkey is used only where the page asks for it.
    await page.addInitScript(() => {
      PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    });
    const remote = await addVirtualAuthenticator(away, page);
    for (const credential of credentials) {
      await remote.cdp.send('WebAuthn.addCredential', {
        authenticatorId: remote.authenticatorId,
        credential,
      });
    }
    await page.goto(authorizeUrl());
    await page.waitForURL(`${issuer}/login?**`);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // Stepped up: the second-factor page offers the passkey, and no session exists yet.
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    const passkeyButton = page.getByRole('button', { name: 'Sign in with a passkey' });
    await passkeyButton.waitFor({ state: 'visible' });
    expect((await away.cookies()).some((cookie) => cookie.name === 'tessera_session')).toBe(false);
    expect(await sessionsOf()).toHaveLength(before.length);

    await passkeyButton.click();
    await page.waitForURL(`${appUrl}/callback?**`);
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
    const after = await sessionsOf();
    expect(after).toHaveLength(before.length + 1);
    const granted = after.find((session) => session.ip === ELSEWHERE.ip);
    expect(granted?.amr).toEqual(expect.arrayContaining(['pwd', 'hwk', 'user', 'mfa']));

    // The audit log is written in batches: wait until the step-up's two entries are stored.
    const { value: awayDecisions } = await waitFor(
      async () =>
        (await admin<{ items: Decision[] }>('GET', `/admin/risk/decisions?user_id=${user.id}`)).items.filter(
          (d) => d.ip === ELSEWHERE.ip,
        ),
      { what: 'the step-up decisions in the audit log', until: (items) => items.length >= 2 },
    );
    const [last, stepped] = awayDecisions;
    expect(stepped).toMatchObject({ decision: 'step_up', outcome: 'second_factor' });
    expect(last).toMatchObject({ decision: 'step_up', outcome: 'proceed' });
    expect(stepped?.factors.length).toBeGreaterThan(0);
    await away.close();
  });
});
