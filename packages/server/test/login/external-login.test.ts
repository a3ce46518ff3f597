/**
 * The login step on an external page (`login.externalUrl`, docs/customize.md): a signed,
 * short-lived, single-use login_challenge out; POST /admin/login/accept; a signed, single-use
 * verdict back in the browser that started the request. Forged, expired and replayed hand-offs are
 * refused and change nothing.
 */
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/ports.js';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import type { TestClient } from '../support/clients.js';
import { authorizeUrl, Browser, createCodeClient, createUser, pkcePair } from '../support/login.js';

const EXTERNAL = 'https://login.example.com/sign-in';
const pkce = pkcePair();

let t: TestServer;
let c: TestClient;
let alice: UserRecord;
beforeEach(async () => {
  t = await bootstrap({ 'login.externalUrl': EXTERNAL });
  alice = await createUser(t);
  c = await createCodeClient(t);
});
afterEach(async () => {
  await t.close();
});

/** Starts an authorization request; returns the browser and the login_challenge it was sent with. */
async function challenge(browser = new Browser(t)) {
  const begin = await browser.get(
    authorizeUrl(c.client, {
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      scope: 'openid read',
      ui_locales: 'de',
    }),
  );
  const login = await browser.get(String(begin.headers.location));
  expect(login.statusCode).toBe(303);
  const target = new URL(String(login.headers.location));
  expect(target.origin + target.pathname).toBe(EXTERNAL);
  return { browser, challenge: target.searchParams.get('login_challenge') ?? '' };
}

function accept(loginChallenge: string, userId = alice.id) {
  return t.app.inject({
    method: 'POST',
    url: '/admin/login/accept',
    headers: t.adminHeaders,
    payload: { login_challenge: loginChallenge, user_id: userId, amr: ['pwd'] },
  });
}

async function sessions() {
  return (await t.store.listSessions({})).items.length;
}

describe('external login page (login.externalUrl)', () => {
  it("the hand-off: a JWT signed with Tessera's key for the external page, then accept, then the browser is signed in", async () => {
    const { browser, challenge: jwt } = await challenge();
    expect(decodeProtectedHeader(jwt)).toMatchObject({ typ: 'tessera-login-challenge+jwt' });
    const claims = decodeJwt(jwt);
    expect(claims).toMatchObject({
      iss: TEST_ISSUER,
      aud: 'https://login.example.com',
      client_id: c.client.id,
      ui_locales: 'de',
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(300);
    expect(typeof claims.interaction).toBe('string');

    const accepted = await accept(jwt);
    expect(accepted.statusCode).toBe(200);
    const redirectTo = String(accepted.json().redirect_to);
    expect(redirectTo.startsWith(`${TEST_ISSUER}/login/external?login_verdict=`)).toBe(true);

    const back = await browser.get(redirectTo);
    expect(back.statusCode).toBe(303);
    expect(String(back.headers.location)).toMatch(/\/consent\?interaction=/);
    const [session] = (await t.store.listSessions({})).items;
    expect(session?.userId).toBe(alice.id);
    expect(session?.amr).toEqual(['pwd']);
  });

  it('a forged challenge (signed by another key, or with its claims changed) is refused; nothing is signed in', async () => {
    const { challenge: jwt } = await challenge();
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT(decodeJwt(jwt))
      .setProtectedHeader({ ...decodeProtectedHeader(jwt), alg: 'ES256' })
      .sign(privateKey);
    const refused = await accept(forged);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toBe('invalid_grant');
    const [header, payload, signature] = jwt.split('.');
    const changed = Buffer.from(JSON.stringify({ ...decodeJwt(jwt), client_id: 'cli_other' })).toString(
      'base64url',
    );
    expect((await accept(`${header}.${changed}.${signature}`)).statusCode).toBe(400);
    expect(payload).toBeDefined();
    expect(await sessions()).toBe(0);
    // The real challenge was not used up by the forgeries.
    expect((await accept(jwt)).statusCode).toBe(200);
  });

  it('a token of Tessera that is not a login challenge (an ID token, typ JWT) is refused', async () => {
    const { challenge: jwt } = await challenge();
    const key = t.keyring.current('ES256');
    const other = await new SignJWT(decodeJwt(jwt))
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .sign(key.privateKey);
    expect((await accept(other)).statusCode).toBe(400);
  });

  it('an expired challenge (older than 5 minutes) is refused', async () => {
    const { challenge: jwt } = await challenge();
    t.clock.advance(301);
    const refused = await accept(jwt);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toBe('invalid_grant');
  });

  it('a replayed challenge is refused; a replayed verdict is refused', async () => {
    const { browser, challenge: jwt } = await challenge();
    const first = await accept(jwt);
    expect(first.statusCode).toBe(200);
    const again = await accept(jwt);
    expect(again.statusCode).toBe(400);
    expect(again.json().error).toBe('invalid_grant');

    const redirectTo = String(first.json().redirect_to);
    expect((await browser.get(redirectTo)).statusCode).toBe(303);
    const replay = await browser.get(redirectTo);
    expect(replay.statusCode).toBe(400);
    expect(replay.headers['content-type']).toMatch(/^text\/html/);
    expect(await sessions()).toBe(1);
  });

  it('the verdict works only in the browser that started the request, and a stranger cannot burn it', async () => {
    const { browser, challenge: jwt } = await challenge();
    const redirectTo = String((await accept(jwt)).json().redirect_to);
    const stranger = await new Browser(t).get(redirectTo);
    expect(stranger.statusCode).toBe(400);
    expect(await sessions()).toBe(0);
    expect((await browser.get(redirectTo)).statusCode).toBe(303);
  });

  it('an unknown user or a malformed body → 400 invalid_request, the challenge is not used up', async () => {
    const { challenge: jwt } = await challenge();
    expect((await accept(jwt, 'usr_nobody')).json().error).toBe('invalid_request');
    const malformed = await t.app.inject({
      method: 'POST',
      url: '/admin/login/accept',
      headers: t.adminHeaders,
      payload: { login_challenge: jwt },
    });
    expect(malformed.statusCode).toBe(400);
    expect((await accept(jwt)).statusCode).toBe(200);
  });

  it('the accept endpoint needs an admin credential', async () => {
    const { challenge: jwt } = await challenge();
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/admin/login/accept',
      payload: { login_challenge: jwt, user_id: alice.id },
    });
    expect(anonymous.statusCode).toBe(401);
  });
});
