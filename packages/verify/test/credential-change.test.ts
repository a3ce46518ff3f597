/**
 * OpenID CAEP 1.0 §3.3 `credential-change` at the verifier (docs/verify.md): Tessera streams a
 * `credential` event when a person's credentials change, and the verifier's `onCredentialChange`
 * policy decides what the person's tokens from an earlier sign-in get, at the first request after
 * the event arrives. Real HTTP against a listening Tessera; the change is made through the admin API.
 */
import type { TokenResponse } from '@tessera/protocol';
import { expect, it } from 'vitest';
import { FORM, form } from '../../server/test/support/clients.js';
import { Browser, createCodeClient } from '../../server/test/support/login.js';
import type { Verifier, VerifyError } from '../src/index.js';
import { codeFlow, refusal } from './support/flows.js';
import { API, eventually } from './support/tessera.js';
import { useVerifierFixture } from './support/verifiers.js';

const fx = useVerifierFixture({ withUser: true });

async function signedInTokens(): Promise<TokenResponse & { basic: string }> {
  const client = await createCodeClient(fx.t, { scope: ['cookies:read'], audiences: [API] });
  const tokens = await codeFlow(fx.t, client, new Browser(fx.t), 'openid offline_access cookies:read');
  return { ...tokens, basic: client.basic };
}

async function aliceId(): Promise<string> {
  const alice = await fx.t.store.findUserByUsername('alice');
  if (alice === undefined) {
    throw new Error('no alice');
  }
  return alice.id;
}

/** Gives alice a passkey (stored as registration would), then removes it through the admin API. */
async function removeAPasskey(): Promise<void> {
  const userId = await aliceId();
  const id = `pk_test${Math.random().toString(36).slice(2, 10)}`;
  await fx.t.store.insertPasskey({
    id,
    userId,
    credentialId: id,
    publicKey: 'AAAA',
    counter: 0,
    transports: ['internal'],
    backupEligible: false,
    backedUp: false,
    aaguid: '00000000-0000-0000-0000-000000000000',
    name: 'Laptop',
    createdAt: fx.t.clock.now(),
    lastUsedAt: null,
  });
  const removed = await fx.t.app.inject({
    method: 'DELETE',
    url: `/admin/users/${userId}/passkeys/${id}`,
    headers: fx.t.adminHeaders,
  });
  expect(removed.statusCode, removed.body).toBe(204);
}

/** Waits until every verifier has received an event newer than the ones it had. */
async function afterNextEvent(verifiers: Verifier[], change: () => Promise<void>): Promise<void> {
  const before = verifiers.map((verifier) => verifier.status().revocations.lastEventId);
  await change();
  await eventually(
    () => verifiers.every((verifier, i) => verifier.status().revocations.lastEventId !== before[i]),
    'the credential-change event',
  );
}

function refused(verifier: Verifier, token: string): Promise<VerifyError> {
  return refusal(verifier.verify(`Bearer ${token}`));
}

it('OpenID CAEP §3.3 — a removed passkey: by default the older token must step up (RFC 9470 max_age); "ignore" serves it, "revoke" refuses it', async () => {
  const byDefault = await fx.readyVerifier();
  const ignoring = await fx.readyVerifier({ onCredentialChange: 'ignore' });
  const revoking = await fx.readyVerifier({ onCredentialChange: 'revoke' });
  const tokens = await signedInTokens();
  for (const verifier of [byDefault, ignoring, revoking]) {
    expect((await verifier.verify(`Bearer ${tokens.access_token}`)).tokenType).toBe('jwt');
  }
  fx.t.clock.advance(5);
  const started = performance.now();
  await afterNextEvent([byDefault, ignoring, revoking], removeAPasskey);
  fx.t.clock.advance(2);

  const stepUp = await refused(byDefault, tokens.access_token);
  console.info(
    `[measure] admin passkey removal → step-up at three verifiers: ${(performance.now() - started).toFixed(0)} ms`,
  );
  expect(stepUp.code).toBe('insufficient_user_authentication');
  expect(stepUp.wwwAuthenticate).toContain('max_age=2');
  expect((await ignoring.verify(`Bearer ${tokens.access_token}`)).tokenType).toBe('jwt');
  expect((await refused(revoking, tokens.access_token)).code).toBe('invalid_token');

  // A refresh keeps the sign-in's auth_time: the refreshed token must step up as well.
  const refreshed = await fx.t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { ...FORM, authorization: tokens.basic },
    payload: form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' }),
  });
  expect(refreshed.statusCode, refreshed.body).toBe(200);
  const again = refreshed.json<TokenResponse>().access_token;
  expect((await refused(byDefault, again)).code).toBe('insufficient_user_authentication');
  expect((await ignoring.verify(`Bearer ${again}`)).tokenType).toBe('jwt');

  // A fresh sign-in after the change passes.
  fx.t.clock.advance(1);
  const fresh = await signedInTokens();
  expect((await byDefault.verify(`Bearer ${fresh.access_token}`)).tokenType).toBe('jwt');
  expect((await revoking.verify(`Bearer ${fresh.access_token}`)).tokenType).toBe('jwt');
});

it('OpenID CAEP §3.3 — a password change refuses older tokens even where the policy ignores it: Tessera also revokes the subject', async () => {
  const ignoring = await fx.readyVerifier({ onCredentialChange: 'ignore' });
  const byDefault = await fx.readyVerifier();
  const tokens = await signedInTokens();
  expect((await ignoring.verify(`Bearer ${tokens.access_token}`)).tokenType).toBe('jwt');
  fx.t.clock.advance(5);
  const before = Number(byDefault.status().revocations.lastEventId ?? 0);
  const changed = await fx.t.app.inject({
    method: 'POST',
    url: `/admin/users/${await aliceId()}/password`,
    headers: fx.t.adminHeaders,
    payload: { password: 'correct horse battery' },
  });
  expect(changed.statusCode, changed.body).toBe(200);
  // Two events: the subject revocation, then the credential change.
  await eventually(
    () =>
      [ignoring, byDefault].every(
        (verifier) => Number(verifier.status().revocations.lastEventId ?? 0) >= before + 2,
      ),
    'the subject revocation and the credential-change event',
  );
  expect((await refused(ignoring, tokens.access_token)).code).toBe('invalid_token');
  expect((await refused(byDefault, tokens.access_token)).code).toBe('invalid_token');
});

it('OpenID CAEP §3.3 — a policy function sees the change (subject, change_type, credential_type, time) and the token', async () => {
  const seen: string[] = [];
  const verifier = await fx.readyVerifier({
    onCredentialChange: (change, token) => {
      seen.push(`${change.changeType} ${change.credentialType} ${token.subject === change.subject}`);
      return 'ignore';
    },
  });
  // Past the second of the previous test's subject revocation.
  fx.t.clock.advance(1);
  const tokens = await signedInTokens();
  fx.t.clock.advance(5);
  await afterNextEvent([verifier], removeAPasskey);
  expect((await verifier.verify(`Bearer ${tokens.access_token}`)).tokenType).toBe('jwt');
  expect(seen).toEqual(['delete fido2-platform true']);
});
