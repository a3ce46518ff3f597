/**
 * OpenID Connect (issue 6 §5): ID tokens (Core §2, §3.1.3.6), `/userinfo` (Core §5.3, RFC 6750),
 * RP-initiated logout (RP-Initiated Logout 1.0), `/admin/sessions`, and discovery (Discovery §3).
 */
import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { form, type TestClient } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createUser,
  hiddenFields,
  pkcePair,
  REDIRECT_URI,
  signIn,
} from '../support/login.js';

let t: TestServer;
let c: TestClient;

beforeEach(async () => {
  t = await bootstrap();
  await createUser(t);
  c = await createCodeClient(t);
});
afterEach(async () => {
  await t.close();
});

async function login(
  scope = 'openid profile email offline_access read',
  browser = new Browser(t),
  extra: Record<string, string> = {},
) {
  const pkce = pkcePair();
  const { code } = await signIn(
    browser,
    authorizeUrl(c.client, {
      scope,
      nonce: 'n-0S6_WzA2Mj',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      ...extra,
    }),
  );
  const response = await t.app.inject({
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
  expect(response.statusCode).toBe(200);
  return {
    browser,
    tokens: response.json<{ access_token: string; refresh_token?: string; id_token: string }>(),
  };
}

async function jwks() {
  return createLocalJWKSet((await t.app.inject({ method: 'GET', url: '/jwks' })).json());
}

describe('ID token (OIDC Core §2, §3.1.3.6, §3.1.3.7)', () => {
  it('OIDC Core §2 — RS256, iss, sub, aud = client_id, azp, nonce, auth_time, amr, sid, at_hash, exp/iat', async () => {
    const { tokens } = await login();
    expect(decodeProtectedHeader(tokens.id_token).alg).toBe('RS256');
    const { payload } = await jwtVerify(tokens.id_token, await jwks(), {
      issuer: TEST_ISSUER,
      audience: c.id,
      currentDate: new Date(t.clock.nowMs()),
    });
    const user = await t.store.findUserByUsername('alice');
    expect(payload.sub).toBe(user?.id);
    expect(payload.azp).toBe(c.id);
    expect(payload.nonce).toBe('n-0S6_WzA2Mj');
    expect(payload.auth_time).toBe(t.clock.now());
    expect(payload.amr).toEqual(['pwd']);
    expect(payload.sid).toMatch(/^ses_/);
    expect(payload).toMatchObject({
      preferred_username: 'alice',
      name: 'Alice Liddell',
      email: 'alice@example.com',
      email_verified: false,
    });
    // §3.1.3.6: at_hash = base64url(left half of SHA-256(access_token)).
    const digest = createHash('sha256').update(tokens.access_token, 'ascii').digest();
    expect(payload.at_hash).toBe(digest.subarray(0, 16).toString('base64url'));
    expect(Number(payload.exp) - Number(payload.iat)).toBe(600);
  });

  it('OIDC Core §5.4 — claims follow the scope: openid alone gives only sub', async () => {
    const { tokens } = await login('openid');
    const { payload } = await jwtVerify(tokens.id_token, await jwks(), {
      currentDate: new Date(t.clock.nowMs()),
    });
    expect(payload.email).toBeUndefined();
    expect(payload.preferred_username).toBeUndefined();
  });

  it('oidc.idTokenAlgorithm — ES256 when configured', async () => {
    await t.close();
    t = await bootstrap({ 'oidc.idTokenAlgorithm': 'ES256' });
    await createUser(t);
    c = await createCodeClient(t);
    const { tokens } = await login('openid');
    expect(decodeProtectedHeader(tokens.id_token).alg).toBe('ES256');
  });

  it('OIDC Registration §2 id_token_signed_response_alg — a client gets its ID tokens in ES256, others keep RS256', async () => {
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/admin/clients/${c.id}`,
      headers: t.adminHeaders,
      payload: { id_token_signed_response_alg: 'ES256' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().id_token_signed_response_alg).toBe('ES256');
    const { tokens } = await login('openid');
    expect(decodeProtectedHeader(tokens.id_token).alg).toBe('ES256');
    const { payload } = await jwtVerify(tokens.id_token, await jwks(), {
      issuer: TEST_ISSUER,
      audience: c.id,
      algorithms: ['ES256'],
      currentDate: new Date(t.clock.nowMs()),
    });
    // §3.1.3.6: at_hash uses the hash of the ID token's alg (SHA-256 for ES256 too).
    const digest = createHash('sha256').update(tokens.access_token, 'ascii').digest();
    expect(payload.at_hash).toBe(digest.subarray(0, 16).toString('base64url'));

    c = await createCodeClient(t);
    expect(decodeProtectedHeader((await login('openid')).tokens.id_token).alg).toBe('RS256');
  });

  it('OIDC Registration §2 — an algorithm the server does not advertise → 400 invalid_client_metadata, nothing stored', async () => {
    const refused = await t.app.inject({
      method: 'PATCH',
      url: `/admin/clients/${c.id}`,
      headers: t.adminHeaders,
      payload: { id_token_signed_response_alg: 'EdDSA' },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error: 'invalid_client_metadata' });
    expect(refused.json().error_description).toContain('id_token_signed_response_alg');
    expect((await t.store.findClient(c.id))?.idTokenSignedResponseAlg).toBeNull();
  });
});

describe('/userinfo (OIDC Core §5.3, RFC 6750)', () => {
  it('OIDC Core §5.3.2 — GET and POST with a Bearer header return the claims of the scope', async () => {
    const { tokens } = await login('openid email');
    const get = await t.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(get.statusCode).toBe(200);
    const user = await t.store.findUserByUsername('alice');
    expect(get.json()).toEqual({ sub: user?.id, email: 'alice@example.com', email_verified: false });
    const post = await t.app.inject({
      method: 'POST',
      url: '/userinfo',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(post.json().sub).toBe(user?.id);
  });

  it('RFC 6750 §2.2 — POST with the token in the form body works; in both places → invalid_request', async () => {
    const { tokens } = await login('openid');
    const body = await t.app.inject({
      method: 'POST',
      url: '/userinfo',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ access_token: tokens.access_token }),
    });
    expect(body.statusCode).toBe(200);
    const both = await t.app.inject({
      method: 'POST',
      url: '/userinfo',
      headers: {
        authorization: `Bearer ${tokens.access_token}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: form({ access_token: tokens.access_token }),
    });
    expect(both.statusCode).toBe(400);
    expect(both.json().error).toBe('invalid_request');
  });

  it('RFC 6750 §3 / §3.1 — no token → 401 with a Bearer challenge that names no error code', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/userinfo' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="http://tessera.test"');
  });

  it('RFC 6750 §3.1 — a forged or revoked token → 401 invalid_token', async () => {
    const forged = await t.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' },
    });
    expect(forged.statusCode).toBe(401);
    expect(forged.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    const { tokens } = await login('openid');
    await t.app.inject({
      method: 'POST',
      url: '/revoke',
      headers: { authorization: c.basic, 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ token: tokens.access_token }),
    });
    const revoked = await t.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(revoked.statusCode).toBe(401);
  });

  it('RFC 6750 §3.1 / OIDC Core §5.3.1 — a token without openid → 403 insufficient_scope', async () => {
    const { tokens } = await login('read');
    const response = await t.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(response.statusCode).toBe(403);
    expect(response.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="openid"/);
  });

  it('opaque access tokens work too', async () => {
    await t.store.updateClient(c.id, { tokenFormat: 'opaque' }, t.clock.now());
    t.bus.publish('client.updated', { clientId: c.id });
    const { tokens } = await login('openid profile');
    expect(tokens.access_token).toMatch(/^tsr_at_/);
    const response = await t.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(response.json().preferred_username).toBe('alice');
  });
});

describe('RP-initiated logout (/end-session)', () => {
  const POST_LOGOUT = 'https://app.example.com/signed-out';

  it('RP-Initiated Logout §2/§3 — id_token_hint + registered post_logout_redirect_uri: session ended, refresh tokens revoked, redirect with state', async () => {
    const { browser, tokens } = await login();
    const url = `/end-session?${new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: POST_LOGOUT, state: 'bye' })}`;
    const response = await browser.get(url);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`${POST_LOGOUT}?state=bye`);
    expect((await t.store.listSessions({})).items).toHaveLength(0);
    expect(browser.cookies.has('tessera_session')).toBe(false);
    const refresh = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { authorization: c.basic, 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' }),
    });
    expect(refresh.json().error).toBe('invalid_grant');
    // The next authorization asks for the password again.
    const again = await browser.get(
      authorizeUrl(c.client, { code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }),
    );
    expect(String(again.headers.location)).toMatch(/\/login\?interaction=/);
  });

  it('RP-Initiated Logout §3 — an unregistered post_logout_redirect_uri → error page, never redirected', async () => {
    const { browser, tokens } = await login();
    const response = await browser.get(
      `/end-session?${new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: 'https://evil.example/' })}`,
    );
    expect(response.statusCode).toBe(400);
    expect(response.headers.location).toBeUndefined();
    expect((await t.store.listSessions({})).items).toHaveLength(1);
  });

  it('RP-Initiated Logout §2 — an invalid id_token_hint → error page', async () => {
    const { browser } = await login();
    const response = await browser.get('/end-session?id_token_hint=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
    expect(response.statusCode).toBe(400);
    expect((await t.store.listSessions({})).items).toHaveLength(1);
  });

  it('RP-Initiated Logout §2 — without a hint the person confirms with a CSRF-protected form', async () => {
    const { browser } = await login();
    const page = await browser.get(
      `/end-session?client_id=${c.id}&post_logout_redirect_uri=${encodeURIComponent(POST_LOGOUT)}`,
    );
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Sign out?');
    expect((await t.store.listSessions({})).items).toHaveLength(1);
    const fields = hiddenFields(page.body);
    const forged = await browser.post('/end-session', { ...fields, csrf_token: 'x', confirm: 'yes' });
    expect(forged.statusCode).toBe(403);
    expect((await t.store.listSessions({})).items).toHaveLength(1);
    const confirmed = await browser.post('/end-session', { ...fields, confirm: 'yes' });
    expect(confirmed.statusCode).toBe(303);
    expect(confirmed.headers.location).toBe(POST_LOGOUT);
    expect((await t.store.listSessions({})).items).toHaveLength(0);
  });
});

describe('/admin/sessions', () => {
  it("lists a user's sessions and ends one, revoking its refresh tokens", async () => {
    const { tokens } = await login();
    const user = await t.store.findUserByUsername('alice');
    const list = await t.app.inject({
      method: 'GET',
      url: `/admin/sessions?user_id=${user?.id}`,
      headers: t.adminHeaders,
    });
    const items = list.json().items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ user_id: user?.id, amr: ['pwd'] });
    const ended = await t.app.inject({
      method: 'DELETE',
      url: `/admin/sessions/${items[0].id}`,
      headers: t.adminHeaders,
    });
    expect(ended.statusCode).toBe(204);
    const refresh = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { authorization: c.basic, 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' }),
    });
    expect(refresh.json().error).toBe('invalid_grant');
    const all = await t.app.inject({
      method: 'DELETE',
      url: `/admin/sessions?user_id=${user?.id}`,
      headers: t.adminHeaders,
    });
    expect(all.json()).toEqual({ ended: 0 });
  });
});

describe('discovery (OIDC Discovery §3, RFC 8414 §2)', () => {
  it('OIDC Discovery §3 — lists exactly what is implemented', async () => {
    const meta = (await t.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })).json();
    expect(meta).toMatchObject({
      issuer: TEST_ISSUER,
      authorization_endpoint: `${TEST_ISSUER}/authorize`,
      token_endpoint: `${TEST_ISSUER}/token`,
      userinfo_endpoint: `${TEST_ISSUER}/userinfo`,
      end_session_endpoint: `${TEST_ISSUER}/end-session`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      code_challenge_methods_supported: ['S256'],
      // Every algorithm the keyring signs with: the ID-token default first, then keys.algorithm.
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      subject_types_supported: ['public', 'pairwise'],
      prompt_values_supported: ['none', 'login', 'consent'],
      authorization_response_iss_parameter_supported: true,
      request_uri_parameter_supported: false,
    });
    expect(meta.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']),
    );
    expect(meta.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']),
    );
    expect(meta.claims_supported).toEqual(
      expect.arrayContaining(['sub', 'nonce', 'auth_time', 'email', 'sid']),
    );
    // OAuth 2.1 §2.4: public clients at /token and /revoke; RFC 7662 §2.1: never at /introspect.
    // OAuth 2.1 §2.4: public clients at /token and /revoke; RFC 7662 §2.1: never at /introspect.
    expect(meta.token_endpoint_auth_methods_supported).toContain('none');
    expect(meta.revocation_endpoint_auth_methods_supported).toContain('none');
    expect(meta.introspection_endpoint_auth_methods_supported).not.toContain('none');
    expect(meta.token_endpoint_auth_methods_supported).toContain('client_secret_basic');
    expect(meta.revocation_endpoint_auth_methods_supported).toContain('none');
    expect(meta.introspection_endpoint_auth_methods_supported).not.toContain('none');
    expect(meta.token_endpoint_auth_methods_supported).toContain('client_secret_basic');
    expect(meta.response_types_supported).not.toContain('token');
  });

  it('the JWKS publishes the RS256 ID-token key next to the access-token key', async () => {
    const keys = (await t.app.inject({ method: 'GET', url: '/jwks' })).json().keys as { alg: string }[];
    expect(keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
  });
});
