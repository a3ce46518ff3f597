/**
 * Issue 16 item 5 — linking and control on the account page: a signed-in person links an Ethereum
 * wallet with a signed EIP-4361 message (the same checks and single-use nonce as the login page) and
 * then signs in with it; unlinks it after a fresh sign-in (never the wallet the account was created
 * with); a wallet linked to another account is refused. The person downloads what Tessera holds
 * about them (never a secret), also through the admin API, and deletes their account: fresh sign-in
 * and typed confirmation, then every session, token, consent and API key is revoked (a `subject`
 * revocation on the stream) and their data is gone. The browser path is in
 * test/e2e/login/account-identity-chromium.test.ts.
 */
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createSiweMessage } from 'viem/siwe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountSignIn } from '../support/account.js';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { FORM, form, type TestClient } from '../support/clients.js';
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
import { enrolTotp } from '../support/totp.js';

let t: TestServer;
let c: TestClient;
let aliceId: string;
const wallet = privateKeyToAccount(generatePrivateKey());
const DID = `did:pkh:eip155:1:${wallet.address}`;
/** login.mfaFreshAuth's default: 5 minutes. */
const FRESH = 300;

beforeEach(async () => {
  t = await bootstrap({ 'siwe.enabled': true });
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

async function auditEvents() {
  await t.audit.flush();
  return (await t.store.listAudit({ limit: 200 })).items;
}

/** An EIP-4361 message for this server with a nonce issued to `browser`, and its signature. */
async function signed(
  browser: Browser,
  overrides: Partial<Parameters<typeof createSiweMessage>[0]> = {},
  signer = wallet,
) {
  const issued = await browser.get(`/login/siwe/nonce?address=${signer.address.toLowerCase()}`);
  expect(issued.statusCode).toBe(200);
  const message = createSiweMessage({
    domain: new URL(TEST_ISSUER).host,
    address: signer.address,
    statement: 'Link this wallet.',
    uri: TEST_ISSUER,
    version: '1',
    chainId: 1,
    nonce: issued.json<{ nonce: string }>().nonce,
    issuedAt: new Date(t.clock.nowMs()),
    ...overrides,
  });
  return { message, signature: await signer.signMessage({ message }) };
}

async function link(browser: Browser, proof: { message: string; signature: string }) {
  return browser.post('/account/identifiers/siwe', { csrf_token: await csrfOf(browser), ...proof });
}

/** Signs in at /account/login with a wallet; returns the answer. */
async function walletSignIn(browser: Browser, signer = wallet) {
  const page = await browser.get('/account/login');
  expect(page.body).toContain('id="siwe-form"');
  const csrf = hiddenFields(page.body).csrf_token ?? '';
  return browser.post('/account/login/siwe', { csrf_token: csrf, ...(await signed(browser, {}, signer)) });
}

async function sessionUser(browser: Browser): Promise<string | undefined> {
  const page = await browser.get('/account');
  return page.statusCode === 200 ? /Signed in as <strong>([^<]+)</.exec(page.body)?.[1] : undefined;
}

describe('linking a wallet (EIP-4361) on the account page', () => {
  it('EIP-4361 §Verifying: a signed message links the wallet; then the wallet signs in to the same account (/account/login and the login page: ID token sub is the account)', async () => {
    const browser = await accountSignIn(t);
    const linked = await link(browser, await signed(browser));
    expect(linked.statusCode).toBe(303);
    expect(linked.headers.location).toBe('/account?done=wallet_linked#identifiers');
    expect(await t.store.listLinkedIdentifiers(aliceId)).toMatchObject([{ identifier: DID, method: 'siwe' }]);
    expect((await browser.get('/account')).body).toContain(DID);

    const elsewhere = new Browser(t);
    expect((await walletSignIn(elsewhere)).headers.location).toBe('/account');
    expect(await sessionUser(elsewhere)).toBe('alice');
    // No second person was created for the wallet.
    expect(await t.store.findUser(DID)).toBeUndefined();

    // The login page of an application signs the wallet in as alice too.
    const app = new Browser(t);
    const pkce = pkcePair();
    let page = await app.get(
      authorizeUrl(c.client, {
        scope: 'openid',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      }),
    );
    page = await app.get(String(page.headers.location));
    const fields = hiddenFields(page.body);
    const done = await app.post('/login/siwe', {
      csrf_token: fields.csrf_token ?? '',
      interaction: fields.interaction ?? '',
      ...(await signed(app)),
    });
    expect(done.statusCode).toBe(303);
    const consent = await app.get(String(done.headers.location));
    const redirected = await app.post('/consent', { ...hiddenFields(consent.body), decision: 'allow' });
    const code = new URL(String(redirected.headers.location)).searchParams.get('code') ?? '';
    const token = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: c.basic },
      payload: form({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: pkce.verifier,
      }),
    });
    const idToken = token.json<{ id_token: string }>().id_token;
    const payload = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString());
    expect(payload.sub).toBe(aliceId);
    expect((await auditEvents()).map((event) => event.type)).toContain('identifier.linked');
  });

  it('EIP-4361 §Verifying (domain binding) and §Security (nonce used once): a wrong domain or a replayed message links nothing', async () => {
    const browser = await accountSignIn(t);
    const wrong = await link(browser, await signed(browser, { domain: 'evil.example' }));
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('The Ethereum sign-in could not be verified');
    const proof = await signed(browser);
    expect((await link(browser, proof)).statusCode).toBe(303);
    await t.store.unlinkIdentifier(aliceId, DID);
    const replayed = await link(browser, proof);
    expect(replayed.statusCode).toBe(400);
    expect(await t.store.listLinkedIdentifiers(aliceId)).toEqual([]);
  });

  it('a wallet linked to another account, or one that is an account of its own, is refused (409) and stays where it was', async () => {
    const bob = await accountSignIn(t, new Browser(t), 'bob');
    expect((await link(bob, await signed(bob))).statusCode).toBe(303);
    const alice = await accountSignIn(t);
    const taken = await link(alice, await signed(alice));
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toContain('That wallet is already linked to an account.');
    expect(await t.store.listLinkedIdentifiers(aliceId)).toEqual([]);

    // A wallet that signed up by itself is an account: it cannot be linked to alice.
    const own = privateKeyToAccount(generatePrivateKey());
    expect((await walletSignIn(new Browser(t), own)).statusCode).toBe(303);
    const ownDid = `did:pkh:eip155:1:${own.address}`;
    expect(await t.store.findUser(ownDid)).toBeDefined();
    expect((await link(alice, await signed(alice, {}, own))).statusCode).toBe(409);
    expect((await t.store.findLinkedIdentifier(ownDid))?.userId).toBe(ownDid);
  });

  it('a person an admin requires a second factor of cannot link a wallet (it would sign in alone), nor sign in with one linked before', async () => {
    const browser = await accountSignIn(t);
    expect((await link(browser, await signed(browser))).statusCode).toBe(303);
    await enrolTotp(t, browser);
    await t.store.updateUser(aliceId, { mfaRequired: true }, t.clock.now());
    const refused = await walletSignIn(new Browser(t));
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('two-step verification');
    expect(String(refused.headers['set-cookie'] ?? '')).not.toContain('tessera_session=');
  });
});

describe('unlinking', () => {
  it('needs a fresh sign-in (403, still linked); then unlinks; another person’s identifier is 404', async () => {
    const browser = await accountSignIn(t);
    expect((await link(browser, await signed(browser))).statusCode).toBe(303);
    t.clock.advance(FRESH + 1);
    const stale = await browser.post('/account/identifiers/unlink', {
      csrf_token: await csrfOf(browser),
      identifier: DID,
    });
    expect(stale.statusCode).toBe(403);
    expect(stale.body).toContain('sign in again');
    expect(await t.store.listLinkedIdentifiers(aliceId)).toHaveLength(1);

    const fresh = await accountSignIn(t);
    const bob = await accountSignIn(t, new Browser(t), 'bob');
    const foreign = await bob.post('/account/identifiers/unlink', {
      csrf_token: await csrfOf(bob),
      identifier: DID,
    });
    expect(foreign.statusCode).toBe(404);
    const unlinked = await fresh.post('/account/identifiers/unlink', {
      csrf_token: await csrfOf(fresh),
      identifier: DID,
    });
    expect(unlinked.statusCode).toBe(303);
    expect(await t.store.listLinkedIdentifiers(aliceId)).toEqual([]);
    // The wallet now signs up as a person of its own, not as alice.
    await walletSignIn(new Browser(t));
    expect(await t.store.findUser(DID)).toBeDefined();
  });

  it('never the last way to sign in: the wallet an account was created with cannot be unlinked (400)', async () => {
    const browser = new Browser(t);
    expect((await walletSignIn(browser)).statusCode).toBe(303);
    const refused = await browser.post('/account/identifiers/unlink', {
      csrf_token: await csrfOf(browser),
      identifier: DID,
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('it cannot be unlinked');
    expect(await t.store.findLinkedIdentifier(DID)).toMatchObject({ userId: DID });
    expect(await sessionUser(browser)).toBe(`eth.1.${wallet.address.toLowerCase()}`);
  });
});

describe('export', () => {
  it('the account page and GET /admin/users/{id}/export give what is held about the person, never a secret', async () => {
    const browser = await accountSignIn(t);
    expect((await link(browser, await signed(browser))).statusCode).toBe(303);
    await signIn(new Browser(t), authorizeUrl(c.client, { scope: 'openid read', ...challenge() }));
    const key = await browser.post('/account/api-keys', {
      csrf_token: await csrfOf(browser),
      name: 'CI',
      scope: 'read',
    });
    const secret = /id="new-api-key">(tsr_key_[^<]+)</.exec(key.body)?.[1] ?? 'missing';

    await t.audit.flush();
    const download = await browser.get('/account/export');
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-disposition']).toBe('attachment; filename="tessera-account.json"');
    expect(download.headers['cache-control']).toBe('no-store');
    const data = download.json();
    expect(data.profile).toMatchObject({ id: aliceId, username: 'alice', password_set: true });
    expect(data.linked_identifiers).toMatchObject([{ identifier: DID, method: 'siwe' }]);
    expect(data.second_factors).toEqual({ totp_enabled: false });
    expect(data.consents).toMatchObject([{ client_id: c.client.id, scope: ['openid', 'read'] }]);
    expect(data.api_keys).toMatchObject([{ name: 'CI', scope: ['read'], revoked_at: null }]);
    expect(data.sessions.length).toBeGreaterThanOrEqual(2);
    expect(data.audit_events.map((event: { type: string }) => event.type)).toContain('identifier.linked');

    const user = await t.store.findUser(aliceId);
    const [record] = (await t.store.listApiKeys({ owner: aliceId })).items;
    for (const secretValue of [user?.passwordHash, record?.hash, secret]) {
      expect(download.body).not.toContain(secretValue ?? 'missing');
    }
    expect(download.body).not.toContain('"hash"');

    const admin = await t.app.inject({
      method: 'GET',
      url: `/admin/users/${aliceId}/export`,
      headers: t.adminHeaders,
    });
    expect(admin.statusCode).toBe(200);
    expect(admin.json().linked_identifiers).toEqual(data.linked_identifiers);
    const missing = await t.app.inject({
      method: 'GET',
      url: '/admin/users/usr_nobody/export',
      headers: t.adminHeaders,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toBe('not_found');
    expect(await new Browser(t).get('/account/export')).toMatchObject({ statusCode: 303 });
  });
});

function challenge() {
  const pkce = pkcePair();
  return { code_challenge: pkce.challenge, code_challenge_method: 'S256' };
}

describe('deleting the account', () => {
  it('needs a fresh sign-in and the typed confirmation; then revokes everything (subject revocation streamed) and deletes the person in one go', async () => {
    const browser = await accountSignIn(t);
    expect((await link(browser, await signed(browser))).statusCode).toBe(303);
    const pkce = pkcePair();
    const { code } = await signIn(
      new Browser(t),
      authorizeUrl(c.client, {
        scope: 'openid offline_access read',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      }),
    );
    const tokens = (
      await t.app.inject({
        method: 'POST',
        url: '/token',
        headers: { ...FORM, authorization: c.basic },
        payload: form({
          grant_type: 'authorization_code',
          code: code ?? '',
          redirect_uri: REDIRECT_URI,
          code_verifier: pkce.verifier,
        }),
      })
    ).json<{ access_token: string; refresh_token: string }>();
    await browser.post('/account/api-keys', { csrf_token: await csrfOf(browser), name: 'CI', scope: 'read' });

    const wrong = await browser.post('/account/delete', {
      csrf_token: await csrfOf(browser),
      confirm: 'yes',
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('type the words: delete my account.');
    t.clock.advance(FRESH + 1);
    const stale = await browser.post('/account/delete', {
      csrf_token: await csrfOf(browser),
      confirm: 'delete my account',
    });
    expect(stale.statusCode).toBe(403);
    expect(await t.store.findUser(aliceId)).toBeDefined();

    const fresh = await accountSignIn(t);
    const since = await t.store.latestRevocationId();
    const deleted = await fresh.post('/account/delete', {
      csrf_token: await csrfOf(fresh),
      confirm: 'Delete my account',
    });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.body).toContain('Your account was deleted');
    expect((await fresh.get('/account')).statusCode).toBe(303);
    expect((await browser.get('/account')).statusCode).toBe(303);

    expect(await t.store.findUser(aliceId)).toBeUndefined();
    expect(await t.store.findLinkedIdentifier(DID)).toBeUndefined();
    expect((await t.store.listSessions({ userId: aliceId })).items).toEqual([]);
    expect(await t.store.listConsents(aliceId)).toEqual([]);
    expect((await t.store.listApiKeys({ owner: aliceId })).items.every((k) => k.revokedAt !== null)).toBe(
      true,
    );
    const streamed = await t.store.listRevocationsSince(since, 100);
    expect(streamed.map((event) => event.target)).toEqual(
      expect.arrayContaining([
        { type: 'subject', value: aliceId },
        expect.objectContaining({ type: 'api_key' }),
      ]),
    );
    const introspected = await t.app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { ...FORM, authorization: c.basic },
      payload: form({ token: tokens.access_token }),
    });
    expect(introspected.json().active).toBe(false);
    const refreshed = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: c.basic },
      payload: form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
    });
    expect(refreshed.json().error).toBe('invalid_grant');

    const audit = (await auditEvents()).find((event) => event.type === 'user.deleted');
    expect(audit).toMatchObject({ actor: aliceId, subject: aliceId, data: {} });
    // The wallet is free again: it signs up as a new person.
    await walletSignIn(new Browser(t));
    expect(await t.store.findUser(DID)).toBeDefined();
  });
});
