/**
 * A person revoking a connected application on the account page (`/account`, issue 13) reaches
 * the verifier through the revocation stream (DESIGN §5): the application's access token, which
 * the verifier had accepted and cached, is refused as soon as the `consent` revocation arrives;
 * ending a session there does the same through the `session` target. The time from the form post
 * to the verifier's refusal is printed (docs/account.md quotes it).
 */
import { expect, it } from 'vitest';
import { FORM, form, type TestClient } from '../../server/test/support/clients.js';
import { Browser, createCodeClient, hiddenFields, PASSWORD } from '../../server/test/support/login.js';
import type { Verifier, VerifyError } from '../src/index.js';
import { refusal, codeFlow as signedInTokens } from './support/flows.js';
import { API, eventually } from './support/tessera.js';
import { useVerifierFixture } from './support/verifiers.js';

const fx = useVerifierFixture({ withUser: true });
const readyVerifier = () => fx.readyVerifier();

function codeFlow(client: TestClient, browser: Browser) {
  return signedInTokens(fx.t, client, browser, 'openid offline_access cookies:read');
}

/** Posts one of the account page's forms (the one whose hidden `name` field has `value`). */
async function postAccountForm(browser: Browser, action: string, name: string, value: string) {
  const page = await browser.get('/account');
  expect(page.statusCode).toBe(200);
  expect(page.body).toContain(`name="${name}" value="${value}"`);
  return browser.post(action, { csrf_token: hiddenFields(page.body).csrf_token ?? '', [name]: value });
}

function refused(verifier: Verifier, token: string): Promise<VerifyError> {
  return refusal(verifier.verify(`Bearer ${token}`));
}

it.each(['jwt', 'opaque'] as const)(
  'RFC 7009 §2 / DESIGN §5 — %s: revoking a connected application on /account makes its access token fail at the verifier',
  async (format) => {
    const verifier = await readyVerifier();
    const client = await createCodeClient(fx.t, {
      name: `Cookie Jar (${format})`,
      scope: ['cookies:read'],
      audiences: [API],
      tokenFormat: format,
    });
    const browser = new Browser(fx.t);
    const tokens = await codeFlow(client, browser);
    expect((await verifier.verify(`Bearer ${tokens.access_token}`)).tokenType).toBe(format);
    const before = verifier.status().revocations.lastEventId;

    const started = performance.now();
    const revoked = await postAccountForm(browser, '/account/apps/revoke', 'client_id', client.client.id);
    expect(revoked.statusCode).toBe(303);
    await eventually(() => verifier.status().revocations.lastEventId !== before, 'the consent revocation');
    const error = await refused(verifier, tokens.access_token);
    const elapsed = performance.now() - started;
    console.info(`[measure] account revoke → verifier refusal (${format}): ${elapsed.toFixed(0)} ms`);
    expect(error.code).toBe('invalid_token');
    // The refresh token is dead too, and the application is gone from the page.
    const refresh = await fx.t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: client.basic },
      payload: form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' }),
    });
    expect(refresh.json().error).toBe('invalid_grant');
    expect((await browser.get('/account')).body).not.toContain(`value="${client.client.id}"`);
  },
);

it('OpenID Connect Core §2 sid — ending a session on /account makes its access tokens fail at the verifier', async () => {
  const verifier = await readyVerifier();
  const client = await createCodeClient(fx.t, { scope: ['cookies:read'], audiences: [API] });
  const known = new Set((await fx.t.store.listSessions({})).items.map((session) => session.id));
  const phone = new Browser(fx.t);
  const tokens = await codeFlow(client, phone);
  const phoneSession = (await fx.t.store.listSessions({})).items.find((session) => !known.has(session.id));
  expect(phoneSession).toBeDefined();
  await verifier.verify(`Bearer ${tokens.access_token}`);
  // The person, on another browser, signs in to the account page and ends the phone's session.
  const laptop = new Browser(fx.t);
  const signInPage = await laptop.get('/account/login');
  const signedIn = await laptop.post('/account/login', {
    csrf_token: hiddenFields(signInPage.body).csrf_token ?? '',
    username: 'alice',
    password: PASSWORD,
  });
  expect(signedIn.headers.location).toBe('/account');
  const before = verifier.status().revocations.lastEventId;
  const ended = await postAccountForm(laptop, '/account/sessions/end', 'session', phoneSession?.id ?? '');
  expect(ended.statusCode).toBe(303);
  await eventually(() => verifier.status().revocations.lastEventId !== before, 'the session revocation');
  expect((await refused(verifier, tokens.access_token)).code).toBe('invalid_token');
  expect((await phone.get('/account')).headers.location).toBe('/account/login');
  expect((await laptop.get('/account')).statusCode).toBe(200);
});
