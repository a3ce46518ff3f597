/**
 * The account page (`/account`): signed in through the session cookie, CSRF on every form,
 * profile, password change (the other sessions end, this browser stays), sessions, connected
 * applications, personal API keys (shown once), passkey removal; every change audited.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPasswordHasher, type PasswordHasher } from '../../src/users/password-hasher.js';
import { accountSignIn } from '../support/account.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { FORM, form, type TestClient } from '../support/clients.js';
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
import { enrolTotp, oathtoolCode } from '../support/totp.js';

let t: TestServer;
let c: TestClient;
let aliceId: string;

beforeEach(async () => {
  t = await bootstrap();
  aliceId = (await createUser(t)).id;
  await createUser(t, 'bob');
  c = await createCodeClient(t);
});
afterEach(async () => {
  await t.close();
});

async function csrfOf(browser: Browser): Promise<string> {
  return hiddenFields((await browser.get('/account')).body).csrf_token ?? '';
}

async function auditTypes(): Promise<string[]> {
  await t.audit.flush();
  return (await t.store.listAudit({ limit: 100 })).items.map((event) => event.type);
}

/** An application signed in through the code flow in its own browser; returns its tokens. */
async function appTokens(browser = new Browser(t)) {
  const pkce = pkcePair();
  const { code } = await signIn(
    browser,
    authorizeUrl(c.client, {
      scope: 'openid offline_access read',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    }),
  );
  const response = await t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { ...FORM, authorization: c.basic },
    payload: form({
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: REDIRECT_URI,
      code_verifier: pkce.verifier,
    }),
  });
  expect(response.statusCode).toBe(200);
  return response.json<{ access_token: string; refresh_token: string }>();
}

async function active(token: string): Promise<boolean> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { ...FORM, authorization: c.basic },
    payload: form({ token }),
  });
  return response.json<{ active: boolean }>().active;
}

describe('access', () => {
  it('not signed in → 303 to /account/login; signed in → the page, with the strict page headers', async () => {
    const browser = new Browser(t);
    const anonymous = await browser.get('/account');
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toBe('/account/login');
    await accountSignIn(t, browser);
    const page = await browser.get('/account');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Signed in as <strong>alice</strong>');
    expect(page.body).toContain('href="/account/security/totp"');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers['cache-control']).toBe('no-store');
  });

  it('RFC 6749 §10.12 — every form post without the CSRF token is refused (403) and changes nothing', async () => {
    const browser = await accountSignIn(t);
    for (const action of [
      '/account/profile',
      '/account/password',
      '/account/passkeys',
      '/account/passkeys/remove',
      '/account/sessions/end',
      '/account/apps/revoke',
      '/account/api-keys',
      '/account/api-keys/revoke',
      '/account/logout',
    ]) {
      const response = await browser.post(action, { csrf_token: 'x'.repeat(43), name: 'Mallory' });
      expect(response.statusCode, action).toBe(403);
    }
    expect((await t.store.findUser(aliceId))?.name).toBe('Alice Liddell');
    expect((await browser.get('/account')).statusCode).toBe(200);
  });

  it('a wrong password on /account/login gets the generic message and no session', async () => {
    const browser = new Browser(t);
    const page = await browser.get('/account/login');
    const response = await browser.post('/account/login', {
      csrf_token: hiddenFields(page.body).csrf_token ?? '',
      username: 'alice',
      password: 'wrong password!',
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Incorrect username or password.');
    expect((await t.store.listSessions({ userId: aliceId })).items).toEqual([]);
  });
});

describe('profile and password', () => {
  it('saves name and email, audited; a bad email gets 400 and nothing changes', async () => {
    const browser = await accountSignIn(t);
    const saved = await browser.post('/account/profile', {
      csrf_token: await csrfOf(browser),
      name: 'Alice L.',
      email: 'a@example.org',
    });
    expect(saved.statusCode).toBe(303);
    expect(await t.store.findUser(aliceId)).toMatchObject({ name: 'Alice L.', email: 'a@example.org' });
    const bad = await browser.post('/account/profile', {
      csrf_token: await csrfOf(browser),
      name: 'X',
      email: 'not an email',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('class="error"');
    expect(await t.store.findUser(aliceId)).toMatchObject({ name: 'Alice L.', email: 'a@example.org' });
    expect(await auditTypes()).toContain('user.updated');
  });

  it("changing the password ends the person's other sessions and their tokens; this browser stays signed in", async () => {
    const phone = new Browser(t);
    const tokens = await appTokens(phone);
    const browser = await accountSignIn(t);
    const wrong = await browser.post('/account/password', {
      csrf_token: await csrfOf(browser),
      current_password: 'not my password',
      new_password: 'a brand new passphrase',
    });
    expect(wrong.statusCode).toBe(400);
    expect(await active(tokens.access_token)).toBe(true);
    const weak = await browser.post('/account/password', {
      csrf_token: await csrfOf(browser),
      current_password: PASSWORD,
      new_password: 'short',
    });
    expect(weak.statusCode).toBe(400);
    expect(await active(tokens.access_token)).toBe(true);
    const changed = await browser.post('/account/password', {
      csrf_token: await csrfOf(browser),
      current_password: PASSWORD,
      new_password: 'a brand new passphrase',
    });
    expect(changed.statusCode).toBe(303);
    expect(await active(tokens.access_token)).toBe(false);
    expect((await phone.get('/account')).headers.location).toBe('/account/login');
    expect((await browser.get('/account')).statusCode).toBe(200);
    expect((await t.store.listSessions({ userId: aliceId })).items).toHaveLength(1);
    expect(await auditTypes()).toEqual(
      expect.arrayContaining(['user.password_changed', 'account.password_change_refused']),
    );
  });
});

describe('sessions and connected applications', () => {
  it("lists sessions with the device from the User-Agent; ending one revokes its tokens; another person's is 404", async () => {
    const phone = new Browser(t);
    const tokens = await appTokens(phone);
    const [phoneSession] = (await t.store.listSessions({ userId: aliceId })).items;
    const browser = await accountSignIn(t);
    const page = await browser.get('/account');
    expect(page.body).toContain('(this browser)');
    expect(page.body).toContain(`data-session="${phoneSession?.id}"`);
    const ended = await browser.post('/account/sessions/end', {
      csrf_token: await csrfOf(browser),
      session: phoneSession?.id ?? '',
    });
    expect(ended.statusCode).toBe(303);
    expect(await active(tokens.access_token)).toBe(false);
    const bob = await accountSignIn(t, new Browser(t), 'bob');
    const [bobSession] = (
      await t.store.listSessions({ userId: (await t.store.findUserByUsername('bob'))?.id ?? '' })
    ).items;
    const foreign = await browser.post('/account/sessions/end', {
      csrf_token: await csrfOf(browser),
      session: bobSession?.id ?? '',
    });
    expect(foreign.statusCode).toBe(404);
    expect((await bob.get('/account')).statusCode).toBe(200);
  });

  it('revoking a connected application removes the consent and revokes its tokens at once (consent target)', async () => {
    const tokens = await appTokens();
    const browser = await accountSignIn(t);
    expect((await browser.get('/account')).body).toContain('Cookie Jar App');
    const revoked = await browser.post('/account/apps/revoke', {
      csrf_token: await csrfOf(browser),
      client_id: c.client.id,
    });
    expect(revoked.statusCode).toBe(303);
    expect(await active(tokens.access_token)).toBe(false);
    expect(await t.store.findConsent(aliceId, c.client.id)).toBeUndefined();
    const again = await browser.post('/account/apps/revoke', {
      csrf_token: await csrfOf(browser),
      client_id: c.client.id,
    });
    expect(again.statusCode).toBe(404);
    expect(await auditTypes()).toContain('consent.revoked');
  });
});

describe('personal API keys', () => {
  it('creates a key with scopes and expiry, shows it once, lists it, revokes it; not anyone else’s', async () => {
    const browser = await accountSignIn(t);
    const created = await browser.post('/account/api-keys', {
      csrf_token: await csrfOf(browser),
      name: 'CI',
      scope: 'read',
      expires_in_days: '30',
    });
    expect(created.statusCode).toBe(200);
    const key = /id="new-api-key">(tsr_key_[^<]+)</.exec(created.body)?.[1];
    expect(key).toBeDefined();
    const [record] = (await t.store.listApiKeys({ owner: aliceId })).items;
    expect(record).toMatchObject({ name: 'CI', scope: ['read'], expiresAt: t.clock.now() + 30 * 86_400 });
    const page = await browser.get('/account');
    expect(page.body).toContain(record?.start ?? 'missing');
    expect(page.body).not.toContain(key ?? 'missing');

    const bad = await browser.post('/account/api-keys', {
      csrf_token: await csrfOf(browser),
      name: 'x',
      expires_in_days: '-1',
    });
    expect(bad.statusCode).toBe(400);

    const bobKey = await t.app.inject({
      method: 'POST',
      url: '/admin/api-keys',
      headers: t.adminHeaders,
      payload: { name: 'bob', owner: (await t.store.findUserByUsername('bob'))?.id },
    });
    const foreign = await browser.post('/account/api-keys/revoke', {
      csrf_token: await csrfOf(browser),
      key_id: bobKey.json().id,
    });
    expect(foreign.statusCode).toBe(404);
    const revoked = await browser.post('/account/api-keys/revoke', {
      csrf_token: await csrfOf(browser),
      key_id: record?.id ?? '',
    });
    expect(revoked.statusCode).toBe(303);
    expect((await t.store.listApiKeys({ owner: aliceId })).items[0]?.revokedAt).not.toBeNull();
    expect(await auditTypes()).toEqual(expect.arrayContaining(['api_key.created', 'api_key.revoked']));
  });
});

describe('/account/login with a second factor', () => {
  it('RFC 6238 — a person with an authenticator app gives a code after the password (oathtool); a wrong one is refused', async () => {
    const browser = await accountSignIn(t);
    const { secret } = await enrolTotp(t, browser);
    t.clock.advance(60);
    const fresh = new Browser(t);
    const page = await fresh.get('/account/login');
    const step = await fresh.post('/account/login', {
      csrf_token: hiddenFields(page.body).csrf_token ?? '',
      username: 'alice',
      password: PASSWORD,
    });
    expect(step.statusCode).toBe(200);
    expect(step.body).toContain('Code from your authenticator app');
    expect((await fresh.get('/account')).headers.location).toBe('/account/login');
    const fields = hiddenFields(step.body);
    const wrong = await fresh.post('/account/login/second-factor', { ...fields, code: '000000' });
    expect(wrong.statusCode).toBe(400);
    const right = await fresh.post('/account/login/second-factor', {
      ...fields,
      code: oathtoolCode(secret, t.clock.now()),
    });
    expect(right.headers.location).toBe('/account');
    expect((await fresh.get('/account')).statusCode).toBe(200);
    // The pending sign-in is bound to this browser.
    const other = new Browser(t);
    const otherPage = await other.get('/account/login');
    const stolen = await other.post('/account/login/second-factor', {
      pending: fields.pending ?? '',
      csrf_token: hiddenFields(otherPage.body).csrf_token ?? '',
      code: oathtoolCode(secret, t.clock.now() + 30),
    });
    expect(stolen.statusCode).toBe(400);
    expect((await other.get('/account')).headers.location).toBe('/account/login');
  });

  it('removing the last passkey of a person who must use MFA is refused (409) and nothing is removed', async () => {
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/admin/users/${aliceId}`,
      headers: t.adminHeaders,
      payload: { mfa_required: true },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    await t.store.insertPasskey({
      id: 'pk_only',
      userId: aliceId,
      credentialId: 'cred-only',
      publicKey: 'x',
      counter: 0,
      transports: [],
      backupEligible: false,
      backedUp: false,
      aaguid: '00000000-0000-0000-0000-000000000000',
      name: 'Only one',
      createdAt: t.clock.now(),
      lastUsedAt: null,
    });
    const refused = await t.app.inject({
      method: 'DELETE',
      url: `/admin/users/${aliceId}/passkeys/pk_only`,
      headers: t.adminHeaders,
    });
    expect(refused.statusCode).toBe(409);
    expect(await t.store.listPasskeys(aliceId)).toHaveLength(1);
  });
});

describe('/account/login: what one password sign-in costs', () => {
  /** The real argon2id hasher, counting what the server asks of it. */
  async function countingServer() {
    const real = createPasswordHasher();
    const calls = { hash: 0, verify: 0, verifyDummy: 0 };
    const hasher: PasswordHasher = {
      hash: (password) => {
        calls.hash += 1;
        return real.hash(password);
      },
      verify: (encoded, password) => {
        calls.verify += 1;
        return real.verify(encoded, password);
      },
      verifyDummy: (password) => {
        calls.verifyDummy += 1;
        return real.verifyDummy(password);
      },
    };
    await t.close();
    t = await bootstrap({}, { passwordHasher: hasher });
    aliceId = (await createUser(t)).id;
    return calls;
  }

  it('a sign-in runs exactly one argon2 verification (no dummy, no rehash), with its session and audit', async () => {
    const calls = await countingServer();
    const before = { ...calls };
    await accountSignIn(t);
    expect({
      hash: calls.hash - before.hash,
      verify: calls.verify - before.verify,
      verifyDummy: calls.verifyDummy - before.verifyDummy,
    }).toEqual({ hash: 0, verify: 1, verifyDummy: 0 });
    expect((await t.store.listSessions({ userId: aliceId })).items).toHaveLength(1);
    expect(await auditTypes()).toEqual(expect.arrayContaining(['session.started', 'login.succeeded']));
  });

  it('an unknown username costs one argon2 verification too (a dummy), so timing tells nothing', async () => {
    const calls = await countingServer();
    const before = { ...calls };
    const browser = new Browser(t);
    const page = await browser.get('/account/login');
    const response = await browser.post('/account/login', {
      csrf_token: hiddenFields(page.body).csrf_token ?? '',
      username: 'nobody-here',
      password: PASSWORD,
    });
    expect(response.statusCode).toBe(400);
    expect({
      verify: calls.verify - before.verify,
      verifyDummy: calls.verifyDummy - before.verifyDummy,
    }).toEqual({ verify: 0, verifyDummy: 1 });
  });
});
