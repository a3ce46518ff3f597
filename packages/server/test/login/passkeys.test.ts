/**
 * Passkeys over HTTP (WebAuthn Level 3) with a software authenticator: registration on the
 * account page, sign-in with a passkey alone on the login page, and what must be refused with a
 * clear error and nothing written: a replayed assertion, a challenge used twice, a wrong origin or
 * RP ID, no user verification, a cloned authenticator (counter going back), another browser's
 * challenge, an expired one. The real-browser path is in test/e2e/login/passkeys-browser.test.ts.
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountSignIn } from '../support/account.js';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { form, type TestClient } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createUser,
  hiddenFields,
  PASSWORD,
  pkcePair,
  REDIRECT_URI,
} from '../support/login.js';
import { dataOptions, formFields, SoftAuthenticator } from '../support/soft-authenticator.js';

let t: TestServer;
let c: TestClient;
let aliceId: string;

beforeEach(async () => {
  t = await bootstrap();
  aliceId = (await createUser(t)).id;
  c = await createCodeClient(t);
});
afterEach(async () => {
  await t.close();
});

const ORIGIN = TEST_ISSUER;
const RP_ID = new URL(TEST_ISSUER).hostname;

/** The account page's passkey registration form: its hidden fields and its creation options. */
async function registrationForm(browser: Browser) {
  const page = await browser.get('/account');
  expect(page.statusCode).toBe(200);
  return {
    fields: formFields(page.body, 'passkey-register'),
    options: dataOptions<{ challenge: string; user: { id: string } }>(page.body, 'passkey-register'),
  };
}

async function registerPasskey(browser: Browser, authenticator: SoftAuthenticator, name = 'Laptop') {
  const { fields, options } = await registrationForm(browser);
  return browser.post('/account/passkeys', {
    ...fields,
    name,
    response: JSON.stringify(authenticator.register(options)),
  });
}

/** Answers the passkey form of the page `html` (login, account login or second factor) at `action`. */
function answerPasskeyForm(browser: Browser, action: string, html: string, authenticator: SoftAuthenticator) {
  return browser.post(action, {
    ...formFields(html, 'passkey-form'),
    response: JSON.stringify(authenticator.assert(dataOptions<{ challenge: string }>(html, 'passkey-form'))),
  });
}

/** Follows a signed-in redirect through consent and redeems the code (RFC 6749 §4.1.3). */
async function consentAndRedeem(
  browser: Browser,
  signedIn: { headers: { location?: unknown } },
  verifier: string,
) {
  let response = await browser.get(String(signedIn.headers.location));
  response = await browser.post('/consent', { ...hiddenFields(response.body), decision: 'allow' });
  const code = new URL(String(response.headers.location)).searchParams.get('code');
  return t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { authorization: c.basic, 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }),
  });
}

/** The verified claims of an ID token signed with the server's published keys. */
async function idTokenClaims(idToken: string) {
  const jwks = createLocalJWKSet((await t.app.inject({ method: 'GET', url: '/jwks' })).json());
  return (await jwtVerify(idToken, jwks, { issuer: TEST_ISSUER })).payload;
}

/** Opens /authorize in a fresh browser and returns the login page's passkey form. */
async function loginPage(browser = new Browser(t)) {
  const pkce = pkcePair();
  let response = await browser.get(
    authorizeUrl(c.client, {
      scope: 'openid profile read',
      nonce: 'n-1',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    }),
  );
  expect(response.statusCode).toBe(303);
  response = await browser.get(String(response.headers.location));
  expect(response.statusCode).toBe(200);
  return {
    browser,
    pkce,
    options: dataOptions<{ challenge: string }>(response.body, 'passkey-form'),
    fields: formFields(response.body, 'passkey-form'),
    html: response.body,
  };
}

async function postAssertion(
  browser: Browser,
  fields: Record<string, string>,
  assertion: unknown,
): Promise<Awaited<ReturnType<Browser['post']>>> {
  return browser.post('/login/passkey', { ...fields, response: JSON.stringify(assertion) });
}

async function auditTypes(): Promise<string[]> {
  await t.audit.flush();
  const { items } = await t.store.listAudit({ limit: 100 });
  return items.map((event) => event.type);
}

async function withPasskey(authenticator = new SoftAuthenticator(RP_ID, ORIGIN)) {
  const account = await accountSignIn(t);
  const registered = await registerPasskey(account, authenticator);
  expect(registered.statusCode).toBe(303);
  return authenticator;
}

/** Signs in to the account page with a passkey alone. */
async function passkeySignIn(authenticator: SoftAuthenticator, browser = new Browser(t)): Promise<Browser> {
  const page = await browser.get('/account/login');
  const response = await answerPasskeyForm(browser, '/account/login/passkey', page.body, authenticator);
  expect(response.headers.location).toBe('/account');
  return browser;
}

describe('registration on the account page (WebAuthn L3 §7.1)', () => {
  it('§7.1 — registers a named, discoverable, user-verified passkey and lists it with its flags', async () => {
    const authenticator = await withPasskey();
    const [passkey, ...rest] = await t.store.listPasskeys(aliceId);
    expect(rest).toEqual([]);
    expect(passkey).toMatchObject({
      credentialId: authenticator.id,
      name: 'Laptop',
      counter: 0,
      backupEligible: true,
      backedUp: true,
      transports: ['internal'],
      lastUsedAt: null,
    });
    expect(await auditTypes()).toContain('passkey.registered');
    const admin = await t.app.inject({
      method: 'GET',
      url: `/admin/users/${aliceId}/passkeys`,
      headers: t.adminHeaders,
    });
    expect(admin.statusCode).toBe(200);
    expect(admin.json().items).toMatchObject([{ id: passkey?.id, name: 'Laptop', backup_eligible: true }]);
    expect(admin.body).not.toContain('public_key');
    // And in the person's record, beside the other second factors.
    const user = await t.app.inject({
      method: 'GET',
      url: `/admin/users/${aliceId}`,
      headers: t.adminHeaders,
    });
    expect(user.json().mfa.passkeys).toMatchObject([{ id: passkey?.id, name: 'Laptop', counter: 0 }]);
    const openapi = await t.app.inject({
      method: 'GET',
      url: '/admin/openapi.json',
      headers: t.adminHeaders,
    });
    expect(Object.keys(openapi.json().paths)).toEqual(
      expect.arrayContaining(['/admin/users/{id}/passkeys', '/admin/users/{id}/passkeys/{passkey}']),
    );
  });

  it('§5.4.4 — the options ask for a resident key and user verification, exclude registered credentials', async () => {
    const authenticator = await withPasskey();
    const account = await passkeySignIn(authenticator);
    const options = dataOptions<Record<string, unknown>>(
      (await account.get('/account')).body,
      'passkey-register',
    );
    expect(options).toMatchObject({
      rp: { id: RP_ID },
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      attestation: 'none',
    });
    expect((options.excludeCredentials as unknown[]).length).toBe(1);
  });

  it('§7.1 step 15 — a registration without user verification is refused and nothing is stored', async () => {
    const account = await accountSignIn(t);
    const { fields, options } = await registrationForm(account);
    const response = await account.post('/account/passkeys', {
      ...fields,
      name: 'x',
      response: JSON.stringify(new SoftAuthenticator(RP_ID, ORIGIN).register(options, { flags: 0x01 })),
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('The passkey could not be verified');
    expect(await t.store.listPasskeys(aliceId)).toEqual([]);
  });

  it('§7.1 step 9 — a registration from another origin is refused', async () => {
    const account = await accountSignIn(t);
    const { fields, options } = await registrationForm(account);
    const response = await account.post('/account/passkeys', {
      ...fields,
      response: JSON.stringify(
        new SoftAuthenticator(RP_ID, ORIGIN).register(options, { origin: 'https://evil.example' }),
      ),
    });
    expect(response.statusCode).toBe(400);
    expect(await t.store.listPasskeys(aliceId)).toEqual([]);
  });

  it('a registration challenge is single use: the same form posted twice stores one passkey', async () => {
    const account = await accountSignIn(t);
    const { fields, options } = await registrationForm(account);
    const params = {
      ...fields,
      response: JSON.stringify(new SoftAuthenticator(RP_ID, ORIGIN).register(options)),
    };
    expect((await account.post('/account/passkeys', params)).statusCode).toBe(303);
    const again = await account.post('/account/passkeys', {
      ...params,
      response: JSON.stringify(new SoftAuthenticator(RP_ID, ORIGIN).register(options)),
    });
    expect(again.statusCode).toBe(400);
    expect(await t.store.listPasskeys(aliceId)).toHaveLength(1);
  });

  it('a malformed response field gets 400, never a 500', async () => {
    const account = await accountSignIn(t);
    const page = await account.get('/account');
    for (const response of ['', '{', '[]', '{"id":1}', 'x'.repeat(20_000)]) {
      const answer = await account.post('/account/passkeys', {
        ...formFields(page.body, 'passkey-register'),
        response,
      });
      expect(answer.statusCode).toBe(400);
    }
  });
});

describe('sign-in with a passkey alone (WebAuthn L3 §7.2)', () => {
  it('§7.2 — a discoverable credential signs in; the ID token says amr hwk + user (RFC 8176), acr phr', async () => {
    const authenticator = await withPasskey();
    const { browser, fields, options, pkce, html } = await loginPage();
    expect(html).toContain('autocomplete="username webauthn"');
    expect(html).toContain('Sign in with a passkey');
    expect(options).not.toHaveProperty('allowCredentials');
    const response = await postAssertion(browser, fields, authenticator.assert(options));
    expect(response.statusCode).toBe(303);
    // Consent, then back to the client with a code.
    const token = await consentAndRedeem(browser, response, pkce.verifier);
    expect(token.statusCode).toBe(200);
    const payload = await idTokenClaims(token.json().id_token);
    expect(payload.sub).toBe(aliceId);
    expect(payload.amr).toEqual(expect.arrayContaining(['hwk', 'user']));
    expect(payload.amr).not.toContain('pwd');
    // A phishing-resistant sign-in (the authentication context derives acr from amr).
    expect(payload.acr).toBe('urn:tessera:acr:phr');
    const [stored] = await t.store.listPasskeys(aliceId);
    expect(stored).toMatchObject({ counter: 1, lastUsedAt: t.clock.now() });
  });

  it('the account sign-in page takes a passkey too, and lands on /account', async () => {
    const authenticator = await withPasskey();
    const browser = new Browser(t);
    const page = await browser.get('/account/login');
    const response = await answerPasskeyForm(browser, '/account/login/passkey', page.body, authenticator);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/account');
    expect((await browser.get('/account')).body).toContain('Signed in as <strong>alice</strong>');
  });

  it('§13.4.3 — a replayed assertion (the same form posted again) is refused and starts no session', async () => {
    // An authenticator without a counter (as synced passkeys are): only the single-use challenge stops the replay.
    const authenticator = await withPasskey(new SoftAuthenticator(RP_ID, ORIGIN, { counts: false }));
    const { browser, fields, options } = await loginPage();
    const assertion = authenticator.assert(options);
    expect((await postAssertion(browser, fields, assertion)).statusCode).toBe(303);
    const sessions = (await t.store.listSessions({ userId: aliceId })).items.length;
    const replay = await postAssertion(new Browser(t), fields, assertion);
    expect(replay.statusCode).toBe(403); // no CSRF cookie in another browser
    const again = await postAssertion(browser, fields, assertion);
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('The passkey could not be verified');
    expect((await t.store.listSessions({ userId: aliceId })).items.length).toBe(sessions);
  });

  it('§7.2 step 12 — an assertion replayed against a fresh challenge is refused', async () => {
    const authenticator = await withPasskey();
    const first = await loginPage();
    const assertion = authenticator.assert(first.options);
    const second = await loginPage(first.browser);
    const response = await postAssertion(second.browser, second.fields, assertion);
    expect(response.statusCode).toBe(400);
    expect(await auditTypes()).toContain('passkey.sign_in_failed');
  });

  it('a challenge is used at most once, even when the first use failed', async () => {
    const authenticator = await withPasskey();
    const { browser, fields, options } = await loginPage();
    const bad = await postAssertion(
      browser,
      fields,
      authenticator.assert(options, { origin: 'https://evil.example' }),
    );
    expect(bad.statusCode).toBe(400);
    const good = await postAssertion(browser, fields, authenticator.assert(options));
    expect(good.statusCode).toBe(400);
  });

  it('§7.2 step 13 — an assertion made for another origin is refused', async () => {
    const authenticator = await withPasskey();
    const { browser, fields, options } = await loginPage();
    const response = await postAssertion(
      browser,
      fields,
      authenticator.assert(options, { origin: 'https://tessera.test.evil.example' }),
    );
    expect(response.statusCode).toBe(400);
    expect((await t.store.listPasskeys(aliceId))[0]?.lastUsedAt).toBeNull();
  });

  it('§7.2 step 15 — an assertion for another RP ID is refused', async () => {
    const authenticator = await withPasskey();
    const { browser, fields, options } = await loginPage();
    const response = await postAssertion(
      browser,
      fields,
      authenticator.assert(options, { rpId: 'evil.example' }),
    );
    expect(response.statusCode).toBe(400);
  });

  it('§7.2 step 17 — an assertion without user verification is refused', async () => {
    const authenticator = await withPasskey();
    const { browser, fields, options } = await loginPage();
    const response = await postAssertion(browser, fields, authenticator.assert(options, { flags: 0x01 }));
    expect(response.statusCode).toBe(400);
  });

  it('§6.1.1 — a cloned authenticator (counter going back) is refused and audited; the counter stays', async () => {
    const authenticator = await withPasskey();
    const first = await loginPage();
    expect(
      (await postAssertion(first.browser, first.fields, authenticator.assert(first.options, { counter: 5 })))
        .statusCode,
    ).toBe(303);
    const second = await loginPage();
    const response = await postAssertion(
      second.browser,
      second.fields,
      authenticator.assert(second.options, { counter: 3 }),
    );
    expect(response.statusCode).toBe(400);
    const third = await loginPage();
    const same = await postAssertion(
      third.browser,
      third.fields,
      authenticator.assert(third.options, { counter: 5 }),
    );
    expect(same.statusCode).toBe(400);
    expect((await t.store.listPasskeys(aliceId))[0]?.counter).toBe(5);
    expect((await auditTypes()).filter((type) => type === 'passkey.clone_suspected')).toHaveLength(2);
  });

  it('an authenticator without a counter (always 0) keeps working', async () => {
    const authenticator = await withPasskey(new SoftAuthenticator(RP_ID, ORIGIN, { counts: false }));
    for (let i = 0; i < 2; i++) {
      const { browser, fields, options } = await loginPage();
      expect((await postAssertion(browser, fields, authenticator.assert(options))).statusCode).toBe(303);
    }
  });

  it("another browser's challenge is refused (bound to the CSRF cookie)", async () => {
    const authenticator = await withPasskey();
    const mine = await loginPage();
    const theirs = await loginPage();
    const response = await postAssertion(
      mine.browser,
      { ...mine.fields, state: theirs.fields.state ?? '' },
      authenticator.assert(theirs.options),
    );
    expect(response.statusCode).toBe(400);
  });

  it('an expired challenge is refused (webauthn.challengeTtl)', async () => {
    const authenticator = await withPasskey();
    const { browser, fields, options } = await loginPage();
    t.clock.advance(5 * 60 + 1);
    const response = await postAssertion(browser, fields, authenticator.assert(options));
    expect(response.statusCode).toBe(400);
  });

  it('§7.2 step 6 — a user handle naming someone else is refused', async () => {
    const authenticator = await withPasskey();
    const { browser, fields, options } = await loginPage();
    const response = await postAssertion(
      browser,
      fields,
      authenticator.assert(options, { userHandle: Buffer.from('usr_someone').toString('base64url') }),
    );
    expect(response.statusCode).toBe(400);
  });

  it('an unknown credential is refused with the same message', async () => {
    await withPasskey();
    const { browser, fields, options } = await loginPage();
    const response = await postAssertion(
      browser,
      fields,
      new SoftAuthenticator(RP_ID, ORIGIN).assert(options),
    );
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('The passkey could not be verified');
  });

  it('a removed passkey signs in no more; an admin can remove one', async () => {
    const authenticator = await withPasskey();
    const [passkey] = await t.store.listPasskeys(aliceId);
    const removed = await t.app.inject({
      method: 'DELETE',
      url: `/admin/users/${aliceId}/passkeys/${passkey?.id}`,
      headers: t.adminHeaders,
    });
    expect(removed.statusCode).toBe(204);
    const again = await t.app.inject({
      method: 'DELETE',
      url: `/admin/users/${aliceId}/passkeys/${passkey?.id}`,
      headers: t.adminHeaders,
    });
    expect(again.statusCode).toBe(404);
    const { browser, fields, options } = await loginPage();
    expect((await postAssertion(browser, fields, authenticator.assert(options))).statusCode).toBe(400);
  });
});

describe('managing passkeys', () => {
  it("the person removes a passkey on /account (audited); another person's passkey id is 404", async () => {
    const authenticator = await withPasskey();
    const [passkey] = await t.store.listPasskeys(aliceId);
    const browser = await passkeySignIn(authenticator);
    const page = await browser.get('/account');
    expect(page.body).toContain(`data-passkey="${passkey?.id}"`);
    const csrf = hiddenFields(page.body).csrf_token ?? '';
    const bobId = (await createUser(t, 'bob')).id;
    const bob = await accountSignIn(t, new Browser(t), 'bob');
    const foreign = await bob.post('/account/passkeys/remove', {
      csrf_token: hiddenFields((await bob.get('/account')).body).csrf_token ?? '',
      passkey: passkey?.id ?? '',
    });
    expect(foreign.statusCode).toBe(404);
    expect(await t.store.listPasskeys(aliceId)).toHaveLength(1);
    expect(await t.store.listPasskeys(bobId)).toEqual([]);
    const removed = await browser.post('/account/passkeys/remove', {
      csrf_token: csrf,
      passkey: passkey?.id ?? '',
    });
    expect(removed.statusCode).toBe(303);
    expect(await t.store.listPasskeys(aliceId)).toEqual([]);
    expect(await auditTypes()).toContain('passkey.removed');
  });

  it('the browser library and the page scripts are served by Tessera itself, as JavaScript', async () => {
    for (const path of [
      '/assets/webauthn-browser.js',
      '/assets/passkey-sign-in.js',
      '/assets/passkey-register.js',
    ]) {
      const response = await t.app.inject({ method: 'GET', url: path });
      expect(response.statusCode, path).toBe(200);
      expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      const cached = await t.app.inject({
        method: 'GET',
        url: path,
        headers: { 'if-none-match': String(response.headers.etag) },
      });
      expect(cached.statusCode).toBe(304);
    }
    const bundle = await t.app.inject({ method: 'GET', url: '/assets/webauthn-browser.js' });
    expect(bundle.body).toContain('@simplewebauthn/browser@14');
  });
});

describe('a passkey as the second factor after a password', () => {
  it('RFC 8176 — /login: a person with a passkey is asked for it after the password; amr pwd + hwk + user + mfa', async () => {
    const authenticator = await withPasskey();
    const before = (await t.store.listSessions({ userId: aliceId })).items.length;
    const { browser, fields, pkce } = await loginPage();
    let response = await browser.post('/login', {
      ...hiddenFields(
        (await browser.get(`/login?interaction=${encodeURIComponent(fields.interaction ?? '')}`)).body,
      ),
      username: 'alice',
      password: PASSWORD,
    });
    // No session yet: the second-factor page, offering the passkey (no code form: no authenticator app).
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Two-step verification');
    expect(response.body).toContain('Sign in with a passkey');
    expect(response.body).not.toContain('name="code"');
    expect((await t.store.listSessions({ userId: aliceId })).items).toHaveLength(before);
    response = await answerPasskeyForm(browser, '/login/passkey', response.body, authenticator);
    expect(response.statusCode).toBe(303);
    const token = await consentAndRedeem(browser, response, pkce.verifier);
    const payload = await idTokenClaims(token.json().id_token);
    expect(payload.amr).toEqual(expect.arrayContaining(['pwd', 'hwk', 'user', 'mfa']));
  });

  it('/account/login: the password alone does not open the account of a person with a passkey', async () => {
    const authenticator = await withPasskey();
    const known = new Set((await t.store.listSessions({ userId: aliceId })).items.map((item) => item.id));
    const browser = new Browser(t);
    const page = await browser.get('/account/login');
    const step = await browser.post('/account/login', {
      csrf_token: hiddenFields(page.body).csrf_token ?? '',
      username: 'alice',
      password: PASSWORD,
    });
    expect(step.statusCode).toBe(200);
    expect(step.body).toContain('Two-step verification');
    expect((await browser.get('/account')).headers.location).toBe('/account/login');
    const response = await answerPasskeyForm(browser, '/account/login/passkey', step.body, authenticator);
    expect(response.headers.location).toBe('/account');
    const session = (await t.store.listSessions({ userId: aliceId })).items.find(
      (item) => !known.has(item.id),
    );
    expect(session?.amr).toEqual(expect.arrayContaining(['pwd', 'hwk', 'user', 'mfa']));
  });
});
