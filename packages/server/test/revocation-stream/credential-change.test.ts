/**
 * OpenID CAEP 1.0 §3.3 `credential-change` (docs/risk.md "Continuous authentication"): every change
 * of a person's password, authenticator app, recovery codes or passkeys, a client secret rotation
 * and an API-key revocation writes one `credential` event (value `sub change_type credential_type`)
 * to the ordered revocation log that the revocation stream serves, and the audit log records
 * `credential.changed`. Changes that touch no credential send none.
 */
import { parseCredentialChange } from '@tessera/protocol';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accountSignIn } from '../support/account.js';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { type Browser, createUser, hiddenFields, PASSWORD } from '../support/login.js';
import { dataOptions, formFields, SoftAuthenticator } from '../support/soft-authenticator.js';
import { accountPost, enrolTotp } from '../support/totp.js';

let t: TestServer;
let aliceId: string;
/** The revocation log's position before the test: only what the test changed is read. */
let since = 0;

beforeAll(async () => {
  t = await bootstrap();
  aliceId = (await createUser(t)).id;
});
afterAll(() => t.close());
beforeEach(async () => {
  since = await t.store.latestRevocationId();
});

/** The credential changes written since the test began, as `sub change_type credential_type`. */
async function credentialEvents(): Promise<string[]> {
  const events = await t.store.listRevocationsSince(since, 500);
  return events.filter((event) => event.target.type === 'credential').map((event) => event.target.value);
}

async function admin(method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) {
  const response = await t.app.inject({
    method,
    url: `/admin${url}`,
    headers: t.adminHeaders,
    ...(payload === undefined ? {} : { payload }),
  });
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response.statusCode === 204 ? {} : (response.json() as Record<string, unknown>);
}

async function csrfOf(browser: Browser): Promise<string> {
  return hiddenFields((await browser.get('/account')).body).csrf_token ?? '';
}

describe('OpenID CAEP §3.3 credential-change on the revocation stream', () => {
  it('a password set by an administrator → "update password", audited; beside the subject revocation', async () => {
    await admin('POST', `/users/${aliceId}/password`, { password: 'a whole new passphrase' });
    expect(await credentialEvents()).toEqual([`${aliceId} update password`]);
    const all = await t.store.listRevocationsSince(since, 500);
    expect(all.map((event) => event.target.type)).toContain('subject');
    await t.audit.flush();
    const { items } = await t.store.listAudit({ limit: 20 });
    const audited = items.find((event) => event.type === 'credential.changed');
    expect(audited?.subject).toBe(aliceId);
    expect(audited?.data).toEqual({ change_type: 'update', credential_type: 'password' });
    // Back to the password the other tests sign in with.
    await admin('POST', `/users/${aliceId}/password`, { password: PASSWORD });
  });

  it('a first password for a person who signed up with a wallet (no password yet) → "create password"', async () => {
    const did = 'did:pkh:eip155:1:0x00000000000000000000000000000000000000a1';
    await t.store.createUser(
      {
        id: did,
        username: 'eth.1.0x00000000000000000000000000000000000000a1',
        email: null,
        emailVerified: false,
        name: null,
        passwordHash: '!',
        disabled: false,
        tokensValidAfter: 0,
      },
      t.clock.now(),
    );
    await admin('POST', `/users/${encodeURIComponent(did)}/password`, { password: 'a first passphrase' });
    expect(await credentialEvents()).toEqual([`${did} create password`]);
  });

  it('a password changed on the account page → "update password"', async () => {
    const browser = await accountSignIn(t);
    const changed = await browser.post('/account/password', {
      csrf_token: await csrfOf(browser),
      current_password: PASSWORD,
      new_password: 'a brand new passphrase',
    });
    expect(changed.statusCode).toBe(303);
    expect(await credentialEvents()).toEqual([`${aliceId} update password`]);
    await admin('POST', `/users/${aliceId}/password`, { password: PASSWORD });
  });

  it('an authenticator app confirmed → "create app" (and its first recovery codes); recovery codes replaced → "update recovery-code"; reset by an administrator → "delete app"', async () => {
    const browser = await accountSignIn(t);
    await enrolTotp(t, browser);
    expect(await credentialEvents()).toEqual([`${aliceId} create app`, `${aliceId} update recovery-code`]);
    since = await t.store.latestRevocationId();
    const replaced = await accountPost(browser, '/account/security/totp/recovery-codes');
    expect(replaced.statusCode).toBe(200);
    expect(await credentialEvents()).toEqual([`${aliceId} update recovery-code`]);
    since = await t.store.latestRevocationId();
    await admin('POST', `/users/${aliceId}/mfa/reset`);
    expect(await credentialEvents()).toEqual([`${aliceId} delete app`]);
  });

  it('a passkey registered → "create fido2-…"; removed by an administrator → "delete" of the same type', async () => {
    const browser = await accountSignIn(t);
    const page = await browser.get('/account');
    const authenticator = new SoftAuthenticator(new URL(TEST_ISSUER).hostname, TEST_ISSUER);
    const registered = await browser.post('/account/passkeys', {
      ...formFields(page.body, 'passkey-register'),
      name: 'Laptop',
      response: JSON.stringify(
        authenticator.register(
          dataOptions<{ challenge: string; user: { id: string } }>(page.body, 'passkey-register'),
        ),
      ),
    });
    expect(registered.statusCode).toBe(303);
    const [created] = await credentialEvents();
    const change = parseCredentialChange(created ?? '');
    expect(change?.subject).toBe(aliceId);
    expect(change?.changeType).toBe('create');
    expect(['fido2-platform', 'fido2-roaming']).toContain(change?.credentialType);
    since = await t.store.latestRevocationId();
    const [passkey] = await t.store.listPasskeys(aliceId);
    await admin('DELETE', `/users/${aliceId}/passkeys/${passkey?.id}`);
    expect(await credentialEvents()).toEqual([`${aliceId} delete ${change?.credentialType}`]);
  });

  it('a client secret rotated → "<client> update client-secret"; an API key revoked → "<owner> revoke api-key"', async () => {
    const client = await admin('POST', '/clients', {
      name: 'rotating',
      grant_types: ['client_credentials'],
      scope: 'cookies:read',
    });
    const clientId = client.client_id as string;
    await admin('POST', `/clients/${clientId}/rotate-secret`, { grace: 0 });
    expect(await credentialEvents()).toEqual([`${clientId} update client-secret`]);
    since = await t.store.latestRevocationId();
    const key = await admin('POST', '/api-keys', { name: 'k', owner: clientId, scope: 'cookies:read' });
    expect(await credentialEvents()).toEqual([]);
    await admin('POST', `/api-keys/${key.id as string}/revoke`);
    expect(await credentialEvents()).toEqual([`${clientId} revoke api-key`]);
  });

  it('changes that touch no credential send none: profile, MFA flag, client metadata, a new API key', async () => {
    await admin('PATCH', `/users/${aliceId}`, { name: 'Alice L.', mfa_required: false });
    const browser = await accountSignIn(t);
    const profile = await browser.post('/account/profile', {
      csrf_token: await csrfOf(browser),
      name: 'Alice Liddell',
    });
    expect(profile.statusCode).toBe(303);
    const client = await admin('POST', '/clients', {
      name: 'quiet',
      grant_types: ['client_credentials'],
      scope: 'cookies:read',
    });
    await admin('PATCH', `/clients/${client.client_id as string}`, { name: 'still quiet' });
    await admin('POST', '/api-keys', { name: 'k2', owner: client.client_id, scope: 'cookies:read' });
    expect(await credentialEvents()).toEqual([]);
  });

  it('lifetime: a password event lasts one access token (every refresh token is revoked with it); a removed second factor as long as a refresh-token grant (refreshes keep the old auth_time)', async () => {
    await admin('POST', `/users/${aliceId}/password`, { password: PASSWORD });
    const id = 'pk_lifetime';
    await t.store.insertPasskey({
      id,
      userId: aliceId,
      credentialId: id,
      publicKey: 'AAAA',
      counter: 0,
      transports: ['usb'],
      backupEligible: false,
      backedUp: false,
      aaguid: '00000000-0000-0000-0000-000000000000',
      name: 'Key',
      createdAt: t.clock.now(),
      lastUsedAt: null,
    });
    await admin('DELETE', `/users/${aliceId}/passkeys/${id}`);
    const lifetimes = (await t.store.listRevocationsSince(since, 500))
      .filter((event) => event.target.type === 'credential')
      .map((event) => [event.target.value, event.expiresAt - event.revokedAt]);
    const day = 86_400;
    expect(lifetimes).toEqual([
      [`${aliceId} update password`, day],
      [`${aliceId} delete fido2-roaming`, 90 * day + day],
    ]);
  });
});
