/**
 * Users (issue 6 §1): argon2id hashing, the password policy, `/admin/users`, and the rule that a
 * password change, a disable or a delete ends every session and revokes every token of the user.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { COMMON_PASSWORDS } from '../../src/users/common-passwords.js';
import { createPasswordHasher } from '../../src/users/password-hasher.js';
import { assertPasswordAcceptable } from '../../src/users/password-policy.js';
import { runCommonRouteTests } from '../support/admin-routes.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { form } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createUser,
  PASSWORD,
  pkcePair,
  REDIRECT_URI,
  signIn,
} from '../support/login.js';

let t: TestServer;
afterEach(async () => {
  await t?.close();
});

describe('password hashing and policy', () => {
  it('OWASP Password Storage — argon2id with m=19 MiB, t=2, p=1', async () => {
    const hasher = createPasswordHasher();
    const encoded = await hasher.hash(PASSWORD);
    expect(encoded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verify(encoded, PASSWORD)).toBe(true);
    expect(await hasher.verify(encoded, `${PASSWORD}x`)).toBe(false);
    expect(await hasher.verify('not a hash', PASSWORD)).toBe(false);
  });

  it('NIST SP 800-63B §5.1.1.2 — minimum length, common passwords and the username are refused', () => {
    const policy = { minLength: 10 };
    expect(() => assertPasswordAcceptable('short', policy)).toThrow(/at least 10/);
    expect(() => assertPasswordAcceptable('qwertyuiop', policy)).toThrow(/most common/);
    expect(() => assertPasswordAcceptable('Password123', policy)).toThrow(/most common/);
    expect(() => assertPasswordAcceptable('alice-the-user', policy, 'alice-the-user')).toThrow(/username/);
    expect(() => assertPasswordAcceptable('x'.repeat(300), policy)).toThrow(/at most/);
    expect(() => assertPasswordAcceptable(PASSWORD, policy)).not.toThrow();
    expect(COMMON_PASSWORDS.length).toBeGreaterThan(300);
  });
});

describe('/admin/users', () => {
  it('creates, lists, shows, updates and deletes a user; never returns the password hash', async () => {
    t = await bootstrap();
    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/users',
      headers: t.adminHeaders,
      payload: { username: 'Alice', password: PASSWORD, email: 'alice@example.com' },
    });
    expect(created.statusCode).toBe(201);
    const user = created.json();
    expect(user).toMatchObject({
      username: 'alice',
      email: 'alice@example.com',
      disabled: false,
      email_verified: false,
    });
    expect(created.body).not.toContain('argon2');
    expect(created.body).not.toContain(PASSWORD);

    const list = await t.app.inject({ method: 'GET', url: '/admin/users', headers: t.adminHeaders });
    expect(list.json().items).toHaveLength(1);
    const byName = await t.app.inject({
      method: 'GET',
      url: '/admin/users?username=ALICE',
      headers: t.adminHeaders,
    });
    expect(byName.json().items[0].id).toBe(user.id);

    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/admin/users/${user.id}`,
      headers: t.adminHeaders,
      payload: { name: 'Alice L.', email_verified: true },
    });
    expect(patched.json()).toMatchObject({ name: 'Alice L.', email_verified: true });

    const shown = await t.app.inject({
      method: 'GET',
      url: `/admin/users/${user.id}`,
      headers: t.adminHeaders,
    });
    expect(shown.json().name).toBe('Alice L.');

    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/admin/users/${user.id}`,
      headers: t.adminHeaders,
    });
    expect(deleted.statusCode).toBe(204);
    expect(await t.store.findUser(user.id)).toBeUndefined();
  });

  it('refuses a weak password, a taken username and unknown fields with 4xx and writes nothing', async () => {
    t = await bootstrap();
    await createUser(t);
    const weak = await t.app.inject({
      method: 'POST',
      url: '/admin/users',
      headers: t.adminHeaders,
      payload: { username: 'bob', password: 'password123' },
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error).toBe('invalid_request');
    const short = await t.app.inject({
      method: 'POST',
      url: '/admin/users',
      headers: t.adminHeaders,
      payload: { username: 'bob', password: 'abc' },
    });
    expect(short.statusCode).toBe(400);
    const taken = await t.app.inject({
      method: 'POST',
      url: '/admin/users',
      headers: t.adminHeaders,
      payload: { username: 'ALICE', password: PASSWORD },
    });
    expect(taken.statusCode).toBe(409);
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/admin/users',
      headers: t.adminHeaders,
      payload: { username: 'bob', password: PASSWORD, password_hash: 'x' },
    });
    expect(unknown.statusCode).toBe(400);
    const badName = await t.app.inject({
      method: 'POST',
      url: '/admin/users',
      headers: t.adminHeaders,
      payload: { username: 'a b', password: PASSWORD },
    });
    expect(badName.statusCode).toBe(400);
    expect((await t.store.listUsers()).items).toHaveLength(1);
  });

  it('honours the configured minimum length (login.passwordMinLength)', async () => {
    t = await bootstrap({ 'login.passwordMinLength': 24 });
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/users',
      headers: t.adminHeaders,
      payload: { username: 'bob', password: PASSWORD },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error_description).toMatch(/24/);
  });
});

describe('revocation on password change, disable and delete (DESIGN §5)', () => {
  async function signedInWithTokens() {
    t = await bootstrap();
    const user = await createUser(t);
    const c = await createCodeClient(t);
    const pkce = pkcePair();
    const browser = new Browser(t);
    const { code } = await signIn(
      browser,
      authorizeUrl(c.client, {
        scope: 'openid offline_access read',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      }),
    );
    const token = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { authorization: c.basic, 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({
        grant_type: 'authorization_code',
        code: code ?? '',
        redirect_uri: REDIRECT_URI,
        code_verifier: pkce.verifier,
      }),
    });
    expect(token.statusCode).toBe(200);
    return { user, c, browser, tokens: token.json<{ access_token: string; refresh_token: string }>() };
  }

  async function expectAllRevoked(s: Awaited<ReturnType<typeof signedInWithTokens>>) {
    expect((await t.store.listSessions({ userId: s.user.id })).items).toHaveLength(0);
    const introspect = await t.app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { authorization: s.c.basic, 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ token: s.tokens.access_token }),
    });
    expect(introspect.json().active).toBe(false);
    const refresh = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { authorization: s.c.basic, 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ grant_type: 'refresh_token', refresh_token: s.tokens.refresh_token }),
    });
    expect(refresh.statusCode).toBe(400);
    expect(refresh.json().error).toBe('invalid_grant');
    const userinfo = await t.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${s.tokens.access_token}` },
    });
    expect(userinfo.statusCode).toBe(401);
  }

  it('a password change ends sessions and revokes refresh and access tokens (subject revocation on the bus)', async () => {
    const s = await signedInWithTokens();
    const published: unknown[] = [];
    t.bus.subscribe('revocation.created', (event) => published.push(event.target));
    t.clock.advance(5);
    const changed = await t.app.inject({
      method: 'POST',
      url: `/admin/users/${s.user.id}/password`,
      headers: t.adminHeaders,
      payload: { password: 'a brand new passphrase' },
    });
    expect(changed.statusCode).toBe(200);
    expect(published).toContainEqual({ type: 'subject', value: s.user.id });
    await expectAllRevoked(s);
    // The old password no longer works, the new one does.
    t.clock.advance(5);
    const again = await signIn(
      new Browser(t),
      authorizeUrl(s.c.client, {
        scope: 'read',
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
      }),
      {
        password: 'a brand new passphrase',
      },
    );
    expect(again.code).toMatch(/^tsr_ac_/);
  });

  it('disabling a user ends sessions, revokes tokens and refuses the login', async () => {
    const s = await signedInWithTokens();
    t.clock.advance(5);
    const disabled = await t.app.inject({
      method: 'POST',
      url: `/admin/users/${s.user.id}/disable`,
      headers: t.adminHeaders,
    });
    expect(disabled.json().disabled).toBe(true);
    await expectAllRevoked(s);
    await expect(
      signIn(
        new Browser(t),
        authorizeUrl(s.c.client, { code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }),
      ),
    ).rejects.toThrow(/unexpected 400/);
    const enabled = await t.app.inject({
      method: 'POST',
      url: `/admin/users/${s.user.id}/enable`,
      headers: t.adminHeaders,
    });
    expect(enabled.json().disabled).toBe(false);
  });

  it('PATCH disabled=true has the same effect as /disable', async () => {
    const s = await signedInWithTokens();
    t.clock.advance(5);
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/admin/users/${s.user.id}`,
      headers: t.adminHeaders,
      payload: { disabled: true },
    });
    expect(patched.json().disabled).toBe(true);
    await expectAllRevoked(s);
  });
});

describe('admin route common checks', () => {
  runCommonRouteTests({
    setup: async (server) => ({ id: (await createUser(server)).id }),
    snapshot: async (server) => ({
      users: await server.store.listUsers({ limit: 100 }),
      sessions: await server.store.listSessions({ limit: 100 }),
    }),
    routes: [
      {
        name: 'POST /admin/users',
        method: 'POST',
        url: () => '/admin/users',
        body: () => ({ username: 'carol', password: PASSWORD }),
      },
      { name: 'GET /admin/users', method: 'GET', url: () => '/admin/users' },
      {
        name: 'GET /admin/users/:id',
        method: 'GET',
        url: (f) => `/admin/users/${f.id}`,
        unknownIdUrl: '/admin/users/usr_nope',
      },
      {
        name: 'PATCH /admin/users/:id',
        method: 'PATCH',
        url: (f) => `/admin/users/${f.id}`,
        body: () => ({ name: 'New' }),
        unknownIdUrl: '/admin/users/usr_nope',
      },
      {
        name: 'POST /admin/users/:id/password',
        method: 'POST',
        url: (f) => `/admin/users/${f.id}/password`,
        body: () => ({ password: 'yet another passphrase' }),
        unknownIdUrl: '/admin/users/usr_nope/password',
      },
      {
        name: 'POST /admin/users/:id/disable',
        method: 'POST',
        url: (f) => `/admin/users/${f.id}/disable`,
        malformedBodies: [],
        unknownIdUrl: '/admin/users/usr_nope/disable',
      },
      {
        name: 'DELETE /admin/users/:id',
        method: 'DELETE',
        url: (f) => `/admin/users/${f.id}`,
        unknownIdUrl: '/admin/users/usr_nope',
      },
      { name: 'GET /admin/sessions', method: 'GET', url: () => '/admin/sessions' },
      {
        name: 'DELETE /admin/sessions/:id',
        method: 'DELETE',
        url: () => '/admin/sessions/ses_x',
        unknownIdUrl: '/admin/sessions/ses_nope',
      },
    ],
  });
});
