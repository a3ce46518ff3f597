/**
 * Issue 12 item 7: `/end-session` acts on an `id_token_hint` alone only when the hint is recent
 * (`oidc.endSessionHintMaxAge`) or this browser's own session is the hint's user; otherwise it asks
 * the person, and confirming ends this browser's session only (OIDC RP-Initiated Logout 1.0 §2:
 * a hint whose sid is no current session "SHOULD [be treated] as suspect"; §6: logout requests
 * without a valid hint are a denial-of-service vector, so ask the End-User).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { form, type TestClient } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createUser,
  hiddenFields,
  pkcePair,
  redeemCode,
  signIn,
} from '../support/login.js';

const POST_LOGOUT = 'https://app.example.com/signed-out';
const TWO_HOURS = 2 * 3600;

let t: TestServer;
let c: TestClient;

beforeEach(async () => {
  t = await bootstrap();
  await createUser(t);
  await createUser(t, 'bob');
  c = await createCodeClient(t, { postLogoutRedirectUris: [POST_LOGOUT] });
});
afterEach(async () => {
  await t.close();
});

async function login(username = 'alice') {
  const browser = new Browser(t);
  const pkce = pkcePair();
  const { code } = await signIn(
    browser,
    authorizeUrl(c.client, {
      scope: 'openid offline_access read',
      nonce: 'n-1',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    }),
    { username },
  );
  const response = await redeemCode(t, c, { code, verifier: pkce.verifier });
  expect(response.statusCode, response.body).toBe(200);
  return { browser, tokens: response.json<{ refresh_token: string; id_token: string }>() };
}

async function sessionCount(): Promise<number> {
  return (await t.store.listSessions({})).items.length;
}

async function refreshWorks(refreshToken: string): Promise<boolean> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { authorization: c.basic, 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return response.statusCode === 200;
}

function endSessionUrl(idToken: string): string {
  return `/end-session?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT, state: 's' })}`;
}

describe('RP-Initiated Logout §2, §6 — an old id_token_hint alone ends nothing (issue 12 item 7)', () => {
  it('an old hint, from a browser without the session → a confirmation page; the named session lives on', async () => {
    const { tokens } = await login();
    t.clock.advance(TWO_HOURS);
    const stranger = new Browser(t);
    const page = await stranger.get(endSessionUrl(tokens.id_token));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Sign out?');
    expect(page.headers.location).toBeUndefined();
    expect(await sessionCount()).toBe(1);

    // Whoever clicks "Sign out" there ends only that browser's own session (none): the session the
    // old ID token names, and its refresh tokens, survive.
    const confirmed = await stranger.post('/end-session', { ...hiddenFields(page.body), confirm: 'yes' });
    expect(confirmed.statusCode).toBe(303);
    expect(confirmed.headers.location).toBe(`${POST_LOGOUT}?state=s`);
    expect(await sessionCount()).toBe(1);
    expect(await refreshWorks(tokens.refresh_token)).toBe(true);
  });

  it('the confirmation form needs its CSRF token', async () => {
    const { tokens } = await login();
    t.clock.advance(TWO_HOURS);
    const stranger = new Browser(t);
    const page = await stranger.get(endSessionUrl(tokens.id_token));
    const forged = await stranger.post('/end-session', {
      ...hiddenFields(page.body),
      csrf_token: 'x',
      confirm: 'yes',
    });
    expect(forged.statusCode).toBe(403);
    expect(await sessionCount()).toBe(1);
  });

  it("an old hint from the browser whose own session is the hint's user → signed out without asking", async () => {
    const { browser, tokens } = await login();
    t.clock.advance(TWO_HOURS);
    const response = await browser.get(endSessionUrl(tokens.id_token));
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`${POST_LOGOUT}?state=s`);
    expect(await sessionCount()).toBe(0);
    expect(await refreshWorks(tokens.refresh_token)).toBe(false);
  });

  it('a recent hint (within oidc.endSessionHintMaxAge) ends the session it names, even from another browser', async () => {
    const { tokens } = await login();
    t.clock.advance(60);
    const response = await new Browser(t).get(endSessionUrl(tokens.id_token));
    expect(response.statusCode).toBe(303);
    expect(await sessionCount()).toBe(0);
  });

  it("a browser signed in as someone else: asked, and confirming ends only that browser's session", async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    expect(await sessionCount()).toBe(2);
    const page = await bob.browser.get(endSessionUrl(alice.tokens.id_token));
    expect(page.body).toContain('Sign out?');
    const confirmed = await bob.browser.post('/end-session', { ...hiddenFields(page.body), confirm: 'yes' });
    expect(confirmed.statusCode).toBe(303);
    const left = (await t.store.listSessions({})).items;
    const aliceRecord = await t.store.findUserByUsername('alice');
    expect(left.map((session) => session.userId)).toEqual([aliceRecord?.id]);
    expect(await refreshWorks(alice.tokens.refresh_token)).toBe(true);
  });
});

describe('oidc.endSessionHintMaxAge', () => {
  it('a shorter setting makes a 10-minute-old hint ask for confirmation', async () => {
    await t.close();
    t = await bootstrap({ 'oidc.endSessionHintMaxAge': '5m' });
    await createUser(t);
    c = await createCodeClient(t, { postLogoutRedirectUris: [POST_LOGOUT] });
    const { tokens } = await login();
    t.clock.advance(600);
    const page = await new Browser(t).get(endSessionUrl(tokens.id_token));
    expect(page.body).toContain('Sign out?');
    expect(await sessionCount()).toBe(1);
  });
});
