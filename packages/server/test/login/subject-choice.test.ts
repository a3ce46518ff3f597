/**
 * Issue "Decentralized identity" item 5 — the person chooses the identifier an application sees
 * (OpenID Connect Core §8): on the account page, for an application registered `public`, a pairwise
 * `sub` of that application's own, and back. ID tokens, userinfo, access tokens (JWT and what
 * introspection says of them) for that application carry the chosen `sub`; other applications keep
 * the account id. Switching ends what the application holds under the old identifier; the choice
 * survives new sign-ins and refreshes; revocations (consent, disabling the person) reach tokens
 * that carry it; the admin API shows it. A client registered pairwise offers no choice.
 */
import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/ports.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { FORM, form, type TestClient } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createUser,
  hiddenFields,
  pkcePair,
  signIn,
} from '../support/login.js';

let t: TestServer;
let alice: UserRecord;
let app: TestClient;
let other: TestClient;

beforeEach(async () => {
  t = await bootstrap();
  alice = await createUser(t);
  const scope = ['openid', 'offline_access', 'read'];
  app = await createCodeClient(t, { name: 'Chosen App', scope });
  other = await createCodeClient(t, { name: 'Other App', scope });
});
afterEach(async () => {
  await t.close();
});

interface Tokens {
  id_token: string;
  access_token: string;
  refresh_token: string;
}

async function signInAt(c: TestClient, browser = new Browser(t)) {
  const pkce = pkcePair();
  const { code } = await signIn(
    browser,
    authorizeUrl(c.client, {
      scope: 'openid offline_access read',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      prompt: 'consent',
    }),
  );
  const response = await t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { authorization: c.basic, ...FORM },
    payload: form({
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: c.client.redirectUris[0] ?? '',
      code_verifier: pkce.verifier,
    }),
  });
  expect(response.statusCode, response.body).toBe(200);
  const tokens = response.json<Tokens>();
  return { browser, tokens, sub: String(decodeJwt(tokens.id_token).sub) };
}

async function choose(browser: Browser, clientId: string, subjectType: string) {
  const csrf = hiddenFields((await browser.get('/account')).body).csrf_token ?? '';
  return browser.post('/account/apps/subject', {
    csrf_token: csrf,
    client_id: clientId,
    subject_type: subjectType,
  });
}

async function userinfo(accessToken: string) {
  return t.app.inject({
    method: 'GET',
    url: '/userinfo',
    headers: { authorization: `Bearer ${accessToken}` },
  });
}

async function introspect(c: TestClient, token: string) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { authorization: c.basic, ...FORM },
    payload: form({ token }),
  });
  return response.json<{ active: boolean; sub?: string }>();
}

async function refresh(c: TestClient, refreshToken: string) {
  return t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { authorization: c.basic, ...FORM },
    payload: form({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
}

function appRow(body: string, clientId: string): string {
  return new RegExp(`<tr data-client="${clientId}">.*?</tr>`, 's').exec(body)?.[0] ?? '';
}

describe('OIDC Core §8 — the person chooses a pairwise sub for one application', () => {
  it('the page offers the choice with its warning; choosing pairwise ends the old tokens; the next sign-in gets the pairwise sub in the ID token, userinfo, the access token and introspection, for that client only', async () => {
    const before = await signInAt(app);
    expect(before.sub).toBe(alice.id);
    const untouched = await signInAt(other, before.browser);
    const page = await before.browser.get('/account');
    const row = appRow(page.body, app.id);
    expect(row).toContain('action="/account/apps/subject"');
    expect(row).toContain('name="subject_type" value="pairwise"');
    expect(row).toContain('will not recognise your old account');

    const chosen = await choose(before.browser, app.id, 'pairwise');
    expect(chosen.statusCode, chosen.body).toBe(303);
    expect(chosen.headers.location).toBe('/account?done=subject_chosen#apps');
    const stored = await t.store.findSubjectChoice(alice.id, app.id);
    expect(stored?.subject).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const pairwise = stored?.subject ?? '';

    // What the application held under the account id is over (it must sign the person in again).
    expect((await userinfo(before.tokens.access_token)).statusCode).toBe(401);
    expect((await introspect(app, before.tokens.access_token)).active).toBe(false);
    expect((await refresh(app, before.tokens.refresh_token)).statusCode).toBe(400);
    // The other application's tokens are untouched.
    expect((await introspect(other, untouched.tokens.access_token)).active).toBe(true);

    const after = await signInAt(app, before.browser);
    expect(after.sub).toBe(pairwise);
    expect(decodeJwt(after.tokens.access_token).sub).toBe(pairwise);
    const info = await userinfo(after.tokens.access_token);
    expect(info.statusCode, info.body).toBe(200);
    expect(info.json<{ sub: string }>().sub).toBe(pairwise);
    expect(await introspect(app, after.tokens.access_token)).toMatchObject({ active: true, sub: pairwise });

    // Another application still knows the account id.
    const elsewhere = await signInAt(other, before.browser);
    expect(elsewhere.sub).toBe(alice.id);
    expect(decodeJwt(elsewhere.tokens.access_token).sub).toBe(alice.id);

    // The page shows the new identifier and offers the way back.
    const shown = appRow((await before.browser.get('/account')).body, app.id);
    expect(shown).toContain(`<code>${pairwise}</code>`);
    expect(shown).toContain('name="subject_type" value="public"');
  });

  it('the choice survives: a refresh and a new sign-in keep the pairwise sub; the admin API shows it', async () => {
    const { browser } = await signInAt(app);
    await signInAt(other, browser);
    expect((await choose(browser, app.id, 'pairwise')).statusCode).toBe(303);
    const pairwise = (await t.store.findSubjectChoice(alice.id, app.id))?.subject;
    const first = await signInAt(app, browser);
    const refreshed = await refresh(app, first.tokens.refresh_token);
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    const tokens = refreshed.json<Tokens>();
    expect(decodeJwt(tokens.access_token).sub).toBe(pairwise);
    expect(decodeJwt(tokens.id_token).sub).toBe(pairwise);
    expect((await signInAt(app, new Browser(t))).sub).toBe(pairwise);

    const consents = await t.app.inject({
      method: 'GET',
      url: `/admin/users/${alice.id}/consents`,
      headers: t.adminHeaders,
    });
    expect(consents.statusCode).toBe(200);
    const items = consents.json<{ items: { client_id: string }[] }>().items;
    expect(items.find((item) => item.client_id === app.id)).toMatchObject({
      subject_choice: 'pairwise',
      chosen_sub: pairwise,
    });
    expect(items.find((item) => item.client_id === other.id)).toMatchObject({ subject_choice: null });
    // The person's export says what they chose.
    const exported = await browser.get('/account/export');
    expect(JSON.parse(exported.body).subject_choices).toEqual([
      { client_id: app.id, subject_type: 'pairwise', sub: pairwise, chosen_at: expect.any(Number) },
    ]);

    // RP-Initiated Logout §2: an old hint is trusted because its `sub` is the browser's person here.
    t.clock.advance(2 * 3600);
    const out = await browser.get(
      `/end-session?${new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: 'https://app.example.com/signed-out' })}`,
    );
    expect(out.statusCode, out.body).toBe(303);
    expect(out.headers.location).toBe('https://app.example.com/signed-out');
  });

  it('switching back to public ends the pairwise tokens; the next sign-in sees the account id again', async () => {
    const { browser } = await signInAt(app);
    await choose(browser, app.id, 'pairwise');
    const pairwise = await signInAt(app, browser);
    const back = await choose(browser, app.id, 'public');
    expect(back.statusCode).toBe(303);
    expect(await t.store.findSubjectChoice(alice.id, app.id)).toBeUndefined();
    expect((await introspect(app, pairwise.tokens.access_token)).active).toBe(false);
    expect((await userinfo(pairwise.tokens.access_token)).statusCode).toBe(401);
    const again = await signInAt(app, browser);
    expect(again.sub).toBe(alice.id);
    expect(decodeJwt(again.tokens.access_token).sub).toBe(alice.id);
  });

  it('DESIGN §5: revoking the application, or disabling the person, revokes the tokens that carry the pairwise sub', async () => {
    const { browser } = await signInAt(app);
    await choose(browser, app.id, 'pairwise');
    const first = await signInAt(app, browser);
    const csrf = hiddenFields((await browser.get('/account')).body).csrf_token ?? '';
    const revoked = await browser.post('/account/apps/revoke', { csrf_token: csrf, client_id: app.id });
    expect(revoked.statusCode).toBe(303);
    expect((await introspect(app, first.tokens.access_token)).active).toBe(false);

    // The choice outlives the consent: the next consent is under the pairwise sub again.
    t.clock.advance(1); // a revocation covers tokens issued up to its second
    const second = await signInAt(app, new Browser(t));
    expect(decodeJwt(second.tokens.access_token).sub).toBe(first.sub);
    expect((await introspect(app, second.tokens.access_token)).active).toBe(true);
    const disabled = await t.app.inject({
      method: 'PATCH',
      url: `/admin/users/${alice.id}`,
      headers: t.adminHeaders,
      payload: { disabled: true },
    });
    expect(disabled.statusCode, disabled.body).toBe(200);
    expect((await introspect(app, second.tokens.access_token)).active).toBe(false);
  });

  it('refusals: a client registered pairwise offers no choice (400), an application without consent (404), a bad choice (400), no CSRF token (403); nothing is stored', async () => {
    const fixed = await createCodeClient(t, {
      name: 'Pairwise App',
      scope: ['openid', 'offline_access', 'read'],
      subjectType: 'pairwise',
    });
    const { browser, sub } = await signInAt(fixed);
    expect(sub).not.toBe(alice.id);
    expect(appRow((await browser.get('/account')).body, fixed.id)).not.toContain('/account/apps/subject');
    const refusedFixed = await choose(browser, fixed.id, 'public');
    expect(refusedFixed.statusCode).toBe(400);
    expect(refusedFixed.body).toContain('cannot be changed');
    expect((await choose(browser, fixed.id, 'pairwise')).statusCode).toBe(400);

    const notConnected = await choose(browser, other.id, 'pairwise');
    expect(notConnected.statusCode).toBe(404);
    expect((await choose(browser, 'cli_nothing', 'pairwise')).statusCode).toBe(404);

    await signInAt(app, browser);
    expect((await choose(browser, app.id, 'secret')).statusCode).toBe(400);
    const noCsrf = await browser.post('/account/apps/subject', {
      client_id: app.id,
      subject_type: 'pairwise',
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(await t.store.listSubjectChoices(alice.id)).toEqual([]);
  });

  it('the choice, its warning and its refusals speak German (Accept-Language: de)', async () => {
    const fixed = await createCodeClient(t, {
      scope: ['openid', 'offline_access', 'read'],
      subjectType: 'pairwise',
    });
    const { browser } = await signInAt(app);
    await signInAt(fixed, browser);
    browser.headers['accept-language'] = 'de';
    const row = appRow((await browser.get('/account')).body, app.id);
    expect(row).toContain('Eine Kennung nur für diese Anwendung verwenden');
    expect(row).toContain('erkennt Ihr bisheriges Konto dort nicht wieder');
    expect((await choose(browser, fixed.id, 'public')).body).toContain('das lässt sich nicht ändern');
    expect((await choose(browser, other.id, 'pairwise')).body).toContain(
      'Diese Anwendung hat keinen Zugriff auf Ihr Konto.',
    );
    expect(await choose(browser, app.id, 'pairwise')).toMatchObject({ statusCode: 303 });
    const done = await browser.get('/account?done=subject_chosen');
    expect(done.body).toContain('unter der neuen Kennung');
    expect(appRow(done.body, app.id)).toContain('Wieder meine Konto-ID verwenden');
  });
});
