/**
 * TOTP second factor (RFC 6238) end to end over HTTP: enrolment on the account page, the second
 * step of a password sign-in, replay and staleness, recovery codes, throttling, removal, and what
 * the tokens then say (RFC 8176 amr, OIDC Core acr). Codes are computed by Debian's oathtool.
 */
import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACR_MFA } from '../../src/users/authn/context.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
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
  signIn,
} from '../support/login.js';
import { accountPost, beginTotp, confirmTotp, enrolTotp, oathtoolCode } from '../support/totp.js';

let t: TestServer;
let c: TestClient;

async function start(overrides: Record<string, unknown> = {}) {
  t = await bootstrap({ 'login.freeAttempts': 3, ...overrides });
  await createUser(t);
  c = await createCodeClient(t, { firstParty: true });
}

beforeEach(async () => {
  await start();
});
afterEach(async () => {
  await t.close();
});

/** Signs in (password, then the second factor when asked) and redeems the code. */
async function signInForTokens(
  browser: Browser,
  secondFactor?: () => Record<string, string>,
  params: Record<string, string> = {},
  client = c,
) {
  const pkce = pkcePair();
  const result = await signIn(
    browser,
    authorizeUrl(client.client, {
      scope: 'openid',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      ...params,
    }),
    secondFactor === undefined ? {} : { secondFactor },
  );
  if (result.code === null) {
    return { result, tokens: undefined };
  }
  const response = await t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { authorization: client.basic, 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({
      grant_type: 'authorization_code',
      code: result.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: pkce.verifier,
    }),
  });
  expect(response.statusCode).toBe(200);
  return { result, tokens: response.json<{ id_token: string; access_token: string }>() };
}

/** Password form → the second-factor page (its hidden fields). */
async function toSecondFactorPage(browser: Browser) {
  const pkce = pkcePair();
  let page = await browser.get(
    authorizeUrl(c.client, {
      scope: 'openid',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    }),
  );
  page = await browser.get(String(page.headers.location));
  const afterPassword = await browser.post('/login', {
    ...hiddenFields(page.body),
    username: 'alice',
    password: PASSWORD,
  });
  expect(afterPassword.statusCode).toBe(200);
  expect(afterPassword.body).toContain('action="/login/second-factor"');
  return hiddenFields(afterPassword.body);
}

async function enrolledAlice() {
  const browser = new Browser(t);
  await signInForTokens(browser);
  const enrolment = await enrolTotp(t, browser);
  return { browser, ...enrolment };
}

describe('TOTP enrolment (RFC 6238) on /account/security/totp', () => {
  it('RFC 6238 §4 — the page shows the otpauth:// URI as an inline SVG QR code and as text; a first code turns it on and shows ten recovery codes once', async () => {
    const browser = new Browser(t);
    await signInForTokens(browser);
    const { secret, uri, html } = await beginTotp(browser);
    expect(html).toMatch(/<div id="totp-qr"[^>]*><svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const parsed = new URL(uri);
    expect(parsed.protocol).toBe('otpauth:');
    expect(parsed.host).toBe('totp');
    expect(parsed.searchParams.get('secret')).toBe(secret);
    expect(parsed.searchParams.get('issuer')).toBe('tessera.test');
    // The secret is stored sealed, never as typed.
    const user = await t.store.findUserByUsername('alice');
    const stored = await t.store.findTotp(user?.id ?? '');
    expect(stored?.sealedSecret.startsWith('v1.')).toBe(true);
    expect(stored?.sealedSecret).not.toContain(secret);
    expect(stored?.confirmedAt).toBeNull();

    const wrong = await confirmTotp(browser, oathtoolCode(secret, t.clock.now() - 600));
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('That code is not right');
    const right = await confirmTotp(browser, oathtoolCode(secret, t.clock.now()));
    expect(right.statusCode).toBe(200);
    const codes = [...right.body.matchAll(/<li><code>([0-9a-z-]+)<\/code><\/li>/g)].map((m) => m[1]);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const status = await browser.get('/account/security/totp');
    expect(status.body).toContain('<strong id="recovery-left">10</strong>');
    // Shown once: the status page never lists them again.
    expect(status.body).not.toContain(codes[0]);
  });

  it('a person who is not signed in gets 401; a POST without the CSRF token gets 403', async () => {
    expect((await new Browser(t).get('/account/security/totp')).statusCode).toBe(401);
    const browser = new Browser(t);
    await signInForTokens(browser);
    expect((await browser.post('/account/security/totp', {})).statusCode).toBe(403);
  });
});

describe('the second step of a password sign-in (RFC 6238, RFC 8176)', () => {
  it('RFC 8176 §2 — password then a TOTP code: amr [pwd, otp, mfa], acr mfa; no session before the code', async () => {
    const { secret } = await enrolledAlice();
    t.clock.advance(30);
    const browser = new Browser(t);
    const fields = await toSecondFactorPage(browser);
    // The password alone started no session.
    expect([...browser.cookies.keys()].some((name) => name.endsWith('tessera_session'))).toBe(false);
    const done = await browser.post('/login/second-factor', {
      ...fields,
      code: oathtoolCode(secret, t.clock.now()),
    });
    expect(done.statusCode).toBe(303);
    expect(String(done.headers.location)).toContain('code=');

    t.clock.advance(30);
    const { tokens } = await signInForTokens(new Browser(t), () => ({
      code: oathtoolCode(secret, t.clock.now()),
    }));
    const id = decodeJwt(tokens?.id_token ?? '');
    expect(id.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(id.acr).toBe(ACR_MFA);
    expect(decodeJwt(tokens?.access_token ?? '').acr).toBe(ACR_MFA);
  });

  it('RFC 6238 §5.2 — ±1 step is accepted; a code is accepted once; an older or stale code is refused', async () => {
    const { secret } = await enrolledAlice();
    t.clock.advance(300);
    const now = t.clock.now();
    // The previous step (clock drift) is accepted.
    const previous = oathtoolCode(secret, now - 30);
    expect((await signInForTokens(new Browser(t), () => ({ code: previous }))).result.code).not.toBeNull();
    // Reused: the same code again, still within its window.
    const browser = new Browser(t);
    const fields = await toSecondFactorPage(browser);
    const again = await browser.post('/login/second-factor', { ...fields, code: previous });
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('already used');
    // The current step works once, then not again.
    const current = oathtoolCode(secret, now);
    expect((await browser.post('/login/second-factor', { ...fields, code: current })).statusCode).toBe(303);
    const browser2 = new Browser(t);
    const replay = await browser2.post('/login/second-factor', {
      ...(await toSecondFactorPage(browser2)),
      code: current,
    });
    expect(replay.statusCode).toBe(400);
    // Stale: two steps old, never used.
    t.clock.advance(300);
    const browser3 = new Browser(t);
    const stale = await browser3.post('/login/second-factor', {
      ...(await toSecondFactorPage(browser3)),
      code: oathtoolCode(secret, t.clock.now() - 60),
    });
    expect(stale.statusCode).toBe(400);
  });

  it('a recovery code works once: used twice → refused; amr [pwd, otp, mfa]', async () => {
    const { recoveryCodes } = await enrolledAlice();
    const code = recoveryCodes[0] ?? '';
    const { tokens } = await signInForTokens(new Browser(t), () => ({ recovery_code: code.toUpperCase() }));
    expect(decodeJwt(tokens?.id_token ?? '').amr).toEqual(['pwd', 'otp', 'mfa']);
    const browser = new Browser(t);
    const twice = await browser.post('/login/second-factor', {
      ...(await toSecondFactorPage(browser)),
      recovery_code: code,
    });
    expect(twice.statusCode).toBe(400);
    const admin = await t.app.inject({
      method: 'GET',
      url: `/admin/users/${(await t.store.findUserByUsername('alice'))?.id}`,
      headers: t.adminHeaders,
    });
    expect(admin.json().mfa).toEqual({ totp: true, recovery_codes_left: 9, passkeys: [] });
  });

  it('throttling — wrong codes are counted per person like passwords: then 429 with Retry-After, even for a right code', async () => {
    const { secret } = await enrolledAlice();
    t.clock.advance(60);
    const browser = new Browser(t);
    const fields = await toSecondFactorPage(browser);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await browser.post('/login/second-factor', { ...fields, code: '000000' })).statusCode);
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
    const blocked = await browser.post('/login/second-factor', {
      ...fields,
      code: oathtoolCode(secret, t.clock.now()),
    });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('a second-factor form without a pending password step is refused (no skipping the password)', async () => {
    const { secret } = await enrolledAlice();
    t.clock.advance(30);
    const browser = new Browser(t);
    const page = await browser.get(
      authorizeUrl(c.client, {
        scope: 'openid',
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
      }),
    );
    const login = await browser.get(String(page.headers.location));
    const skip = await browser.post('/login/second-factor', {
      ...hiddenFields(login.body),
      code: oathtoolCode(secret, t.clock.now()),
    });
    expect(skip.statusCode).toBe(400);
    expect(skip.headers.location).toBeUndefined();
  });
});

describe('removing TOTP and recovery codes', () => {
  it('needs a fresh sign-in (auth_time within login.mfaFreshAuth); afterwards the password alone signs in', async () => {
    const { browser, secret } = await enrolledAlice();
    t.clock.advance(600);
    const stale = await accountPost(browser, '/account/security/totp/remove');
    expect(stale.statusCode).toBe(403);
    expect(stale.body).toContain('sign in again');
    const fresh = new Browser(t);
    await signInForTokens(fresh, () => ({ code: oathtoolCode(secret, t.clock.now()) }));
    const removed = await accountPost(fresh, '/account/security/totp/remove');
    expect(removed.statusCode).toBe(200);
    expect(removed.body).toContain('was removed');
    const { tokens } = await signInForTokens(new Browser(t));
    expect(decodeJwt(tokens?.id_token ?? '').amr).toEqual(['pwd']);
  });

  it('new recovery codes replace the old ones (fresh sign-in required)', async () => {
    const { browser, recoveryCodes } = await enrolledAlice();
    const renewed = await accountPost(browser, '/account/security/totp/recovery-codes');
    expect(renewed.statusCode).toBe(200);
    const fresh = [...renewed.body.matchAll(/<li><code>([0-9a-z-]+)<\/code><\/li>/g)].map((m) => m[1]);
    expect(fresh).toHaveLength(10);
    const old = new Browser(t);
    const refused = await old.post('/login/second-factor', {
      ...(await toSecondFactorPage(old)),
      recovery_code: recoveryCodes[1] ?? '',
    });
    expect(refused.statusCode).toBe(400);
    t.clock.advance(600);
    expect((await accountPost(browser, '/account/security/totp/recovery-codes')).statusCode).toBe(403);
  });
});
