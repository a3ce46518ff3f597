/**
 * Every grant is tied to its login session (OIDC Core §2 `sid`): ending the session (RP-initiated
 * logout, an admin ending it) revokes every token issued under it, with or without
 * `offline_access`, through a `session` revocation that introspection and `/userinfo` honour.
 */
import type { TokenResponse } from '@tessera/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createUser,
  pkcePair,
  redeemCode,
  signIn,
} from '../support/login.js';

let t: TestServer;
let api: TestClient;

beforeEach(async () => {
  t = await bootstrap();
  await createUser(t);
  api = await createTestClient(t, { permissions: ['introspect'] });
});
afterEach(async () => {
  await t.close();
});

async function getCode(client: TestClient, browser: Browser, scope: string) {
  const pkce = pkcePair();
  const { code } = await signIn(
    browser,
    authorizeUrl(client.client, { scope, code_challenge: pkce.challenge, code_challenge_method: 'S256' }),
  );
  return { code: code ?? '', verifier: pkce.verifier };
}

async function signInForTokens(client: TestClient, browser: Browser, scope = 'openid read') {
  const response = await redeemCode(t, client, await getCode(client, browser, scope));
  expect(response.statusCode, response.body).toBe(200);
  return response.json<TokenResponse>();
}

async function isActive(token: string): Promise<boolean> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { ...FORM, authorization: api.basic },
    payload: form({ token }),
  });
  expect(response.statusCode).toBe(200);
  return response.json<{ active: boolean }>().active;
}

async function userinfoStatus(token: string): Promise<number> {
  const response = await t.app.inject({
    method: 'GET',
    url: '/userinfo',
    headers: { authorization: `Bearer ${token}` },
  });
  return response.statusCode;
}

async function sessionIdOf(userId: string): Promise<string> {
  const sessions = await t.store.listSessions({ userId });
  const [session] = sessions.items;
  expect(session).toBeDefined();
  return session?.id ?? '';
}

describe.each(['jwt', 'opaque'] as const)('%s access tokens of a session', (format) => {
  it('issue 11 item 4 / OIDC RP-Initiated Logout §2 — logout ends the access token of a sign-in without offline_access', async () => {
    const client = await createCodeClient(t, { tokenFormat: format });
    const browser = new Browser(t);
    const tokens = await signInForTokens(client, browser);
    expect(tokens.refresh_token).toBeUndefined();
    expect(await isActive(tokens.access_token)).toBe(true);
    expect(await userinfoStatus(tokens.access_token)).toBe(200);

    const logout = await browser.get(
      `/end-session?${new URLSearchParams({ id_token_hint: tokens.id_token ?? '' })}`,
    );
    expect(logout.statusCode, logout.body).toBe(200);

    expect(await isActive(tokens.access_token)).toBe(false);
    expect(await userinfoStatus(tokens.access_token)).toBe(401);
  });

  it('issue 11 item 4 — an admin ending the session ends every token issued under it, refresh or not', async () => {
    const client = await createCodeClient(t, { tokenFormat: format });
    const browser = new Browser(t);
    const withoutRefresh = await signInForTokens(client, browser, 'openid read');
    const withRefresh = await signInForTokens(client, browser, 'openid offline_access read');
    expect(withRefresh.refresh_token).toBeDefined();
    const user = await t.store.findUserByUsername('alice');
    const sessionId = await sessionIdOf(user?.id ?? '');

    const ended = await t.app.inject({
      method: 'DELETE',
      url: `/admin/sessions/${sessionId}`,
      headers: t.adminHeaders,
    });
    expect(ended.statusCode).toBe(204);

    expect(await isActive(withoutRefresh.access_token)).toBe(false);
    expect(await isActive(withRefresh.access_token)).toBe(false);
    expect(await isActive(withRefresh.refresh_token ?? '')).toBe(false);
  });
});

it('issue 11 item 4 — the ended session is published as a `session` revocation naming the sid', async () => {
  const client = await createCodeClient(t);
  const browser = new Browser(t);
  const tokens = await signInForTokens(client, browser);
  const sid = JSON.parse(Buffer.from(tokens.access_token.split('.')[1] ?? '', 'base64url').toString()).sid;
  expect(typeof sid).toBe('string');
  await browser.get(`/end-session?${new URLSearchParams({ id_token_hint: tokens.id_token ?? '' })}`);
  const revocations = await t.store.listActiveRevocations(t.clock.now());
  expect(revocations.map((event) => event.target)).toContainEqual({ type: 'session', value: sid });
});

it('issue 11 item 4 — a code issued before logout and redeemed after it → invalid_grant (no token may name an ended session)', async () => {
  const client = await createCodeClient(t);
  const browser = new Browser(t);
  const tokens = await signInForTokens(client, browser);
  const pending = await getCode(client, browser, 'openid read');
  await browser.get(`/end-session?${new URLSearchParams({ id_token_hint: tokens.id_token ?? '' })}`);
  t.clock.advance(1);
  const response = await redeemCode(t, client, pending);
  expect(response.statusCode).toBe(400);
  expect(response.json()).toMatchObject({ error: 'invalid_grant' });
});

it.each(['password', 'disable'] as const)(
  'issue 11 item 4 — a %s change ends the access tokens of a sign-in without offline_access (subject revocation)',
  async (change) => {
    const client = await createCodeClient(t);
    const tokens = await signInForTokens(client, new Browser(t));
    const user = await t.store.findUserByUsername('alice');
    const response = await t.app.inject({
      method: 'POST',
      url: `/admin/users/${user?.id}/${change}`,
      headers: t.adminHeaders,
      ...(change === 'password' ? { payload: { password: 'another correct horse' } } : {}),
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(await isActive(tokens.access_token)).toBe(false);
    expect(await userinfoStatus(tokens.access_token)).toBe(401);
  },
);
