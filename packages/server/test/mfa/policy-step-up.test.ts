/**
 * MFA policy and step-up at /authorize: client `require_mfa`, the global `login.requireMfa`, the
 * per-person "MFA required" (admin API), `acr_values` (OIDC Core §3.1.2.1, RFC 9470 §4) and
 * `max_age` (OIDC Core §3.1.2.1); refusing to remove the last factor the policy needs.
 */
import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { ACR_MFA, ACR_PHR } from '../../src/users/authn/context.js';
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
import { accountPost, enrolTotp, oathtoolCode } from '../support/totp.js';

let t: TestServer;
afterEach(async () => {
  await t.close();
});

async function setup(overrides: Record<string, unknown> = {}, client: Record<string, unknown> = {}) {
  t = await bootstrap(overrides);
  const user = await createUser(t);
  const c = await createCodeClient(t, { firstParty: true, ...client });
  return { user, c };
}

function authorize(c: TestClient, params: Record<string, string> = {}) {
  const pkce = pkcePair();
  return {
    pkce,
    url: authorizeUrl(c.client, {
      scope: 'openid',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      ...params,
    }),
  };
}

async function redeem(c: TestClient, code: string, verifier: string) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { authorization: c.basic, 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }),
  });
  expect(response.statusCode).toBe(200);
  return response.json<{ id_token: string; access_token: string }>();
}

/** Follows /authorize from a browser with a session: the Location it ends at (login page or client). */
async function authorizeFrom(browser: Browser, url: string): Promise<URL> {
  const response = await browser.get(url);
  expect(response.statusCode).toBe(303);
  return new URL(String(response.headers.location), 'http://tessera.test');
}

describe('MFA policy (issue 13 §3)', () => {
  it('client require_mfa — a person without a second factor is told so and sent to enrol; no code for the client', async () => {
    const { c } = await setup({}, { requireMfa: true });
    const browser = new Browser(t);
    const { url } = authorize(c);
    const login = await browser.get(String((await browser.get(url)).headers.location));
    const refused = await browser.post('/login', {
      ...hiddenFields(login.body),
      username: 'alice',
      password: PASSWORD,
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('requires a second factor');
    expect(refused.body).toContain('href="http://tessera.test/account/security/totp"');
    expect(refused.headers.location).toBeUndefined();
    // The password session reaches the enrolment page, then the sign-in with the code passes.
    const { secret } = await enrolTotp(t, browser);
    t.clock.advance(30);
    const again = authorize(c);
    const result = await signIn(new Browser(t), again.url, {
      secondFactor: () => ({ code: oathtoolCode(secret, t.clock.now()) }),
    });
    const tokens = await redeem(c, result.code ?? '', again.pkce.verifier);
    expect(decodeJwt(tokens.id_token).acr).toBe(ACR_MFA);
  });

  it('client require_mfa — a password session from another client is not enough: login again with the code (step-up)', async () => {
    const { c } = await setup();
    const strict = await createCodeClient(t, { firstParty: true, requireMfa: true });
    const browser = new Browser(t);
    // A password session (signed in before TOTP was set up), then TOTP is set up in it.
    const lax = authorize(c);
    await signIn(browser, lax.url);
    const { secret } = await enrolTotp(t, browser);
    // The browser's session is still the password one (acr pwd): the strict client needs more.
    const location = await authorizeFrom(browser, authorize(strict).url);
    expect(location.pathname).toBe('/login');
    t.clock.advance(30);
    const step = authorize(strict);
    const result = await signIn(browser, step.url, {
      secondFactor: () => ({ code: oathtoolCode(secret, t.clock.now()) }),
    });
    expect(result.code).not.toBeNull();
  });

  it('login.requireMfa — the global setting applies to every client', async () => {
    const { c } = await setup({ 'login.requireMfa': true });
    const { url } = authorize(c);
    await expect(signIn(new Browser(t), url)).rejects.toThrow(/unexpected 403/);
  });

  it('per-person mfa_required (admin API) — set by PATCH, shown in GET; removing the last factor is refused', async () => {
    const { c, user } = await setup();
    const patch = await t.app.inject({
      method: 'PATCH',
      url: `/admin/users/${user.id}`,
      headers: t.adminHeaders,
      payload: { mfa_required: true },
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.json().mfa_required).toBe(true);
    const { url } = authorize(c);
    const browser = new Browser(t);
    await expect(signIn(browser, url)).rejects.toThrow(/unexpected 403/);
    await enrolTotp(t, browser);
    const refused = await accountPost(browser, '/account/security/totp/remove');
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('must keep a second factor');
    const state = await t.app.inject({
      method: 'GET',
      url: `/admin/users/${user.id}`,
      headers: t.adminHeaders,
    });
    expect(state.json()).toMatchObject({ mfa_required: true, mfa: { totp: true, recovery_codes_left: 10 } });
  });

  it('admin reset — POST /admin/users/{id}/mfa/reset removes TOTP and recovery codes', async () => {
    const { c, user } = await setup();
    const browser = new Browser(t);
    await signIn(browser, authorize(c).url);
    await enrolTotp(t, browser);
    const reset = await t.app.inject({
      method: 'POST',
      url: `/admin/users/${user.id}/mfa/reset`,
      headers: t.adminHeaders,
    });
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toEqual({ removed: true, totp: false, recovery_codes_left: 0 });
    const again = authorize(c);
    const result = await signIn(new Browser(t), again.url);
    expect(decodeJwt((await redeem(c, result.code ?? '', again.pkce.verifier)).id_token).amr).toEqual([
      'pwd',
    ]);
    const missing = await t.app.inject({
      method: 'POST',
      url: '/admin/users/usr_missing/mfa/reset',
      headers: t.adminHeaders,
    });
    expect(missing.statusCode).toBe(404);
  });
});

describe('step-up at /authorize (OIDC Core §3.1.2.1, RFC 9470 §4)', () => {
  it('RFC 9470 §4 acr_values — a password session is not enough for urn:tessera:acr:mfa: back to the login page', async () => {
    const { c } = await setup();
    const browser = new Browser(t);
    await signIn(browser, authorize(c).url);
    expect((await authorizeFrom(browser, authorize(c).url)).searchParams.get('code')).not.toBeNull();
    const stepUp = await authorizeFrom(browser, authorize(c, { acr_values: ACR_MFA }).url);
    expect(stepUp.pathname).toBe('/login');
    // prompt=none cannot show the login page: login_required, redirected (OIDC Core §3.1.2.6).
    const none = await authorizeFrom(browser, authorize(c, { acr_values: ACR_MFA, prompt: 'none' }).url);
    expect(none.searchParams.get('error')).toBe('login_required');
  });

  it('RFC 9470 §4 acr_values — phr asked, the person has only TOTP: access_denied after the sign-in', async () => {
    const { c } = await setup();
    const browser = new Browser(t);
    await signIn(browser, authorize(c).url);
    const { secret } = await enrolTotp(t, browser);
    t.clock.advance(30);
    const result = await signIn(new Browser(t), authorize(c, { acr_values: ACR_PHR }).url, {
      secondFactor: () => ({ code: oathtoolCode(secret, t.clock.now()) }),
    });
    expect(result.location.searchParams.get('error')).toBe('access_denied');
  });

  it('OIDC Core §3.1.2.1 max_age — an older sign-in means signing in again; a fresh one passes', async () => {
    const { c } = await setup();
    const browser = new Browser(t);
    await signIn(browser, authorize(c).url);
    t.clock.advance(120);
    expect(
      (await authorizeFrom(browser, authorize(c, { max_age: '300' }).url)).searchParams.get('code'),
    ).not.toBeNull();
    expect((await authorizeFrom(browser, authorize(c, { max_age: '60' }).url)).pathname).toBe('/login');
  });

  it('OIDC Discovery §3 — acr_values is advertised as supported', async () => {
    t = await bootstrap();
    const meta = (await t.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })).json();
    expect(meta.acr_values_supported).toContain(ACR_MFA);
  });
});
