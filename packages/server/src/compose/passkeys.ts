/**
 * Passkeys: the WebAuthn relying party derived from the issuer (or `webauthn.*`), the passkey
 * service, and the factor guard that keeps an MFA-bound person's last factor (other kinds of
 * factor add a {@link FactorSource} here).
 */
import { createFactorGuard, type FactorGuard, type FactorSource } from '../users/factor-guard.js';
import { createPasskeyService, type PasskeyService, webAuthnSettingsOf } from '../users/passkey-service.js';
import type { Core } from './core.js';
import type { OAuthCore } from './oauth-core.js';

export interface Passkeys {
  passkeys: PasskeyService;
  guard: FactorGuard;
}

export function composePasskeys(core: Core, oauth: Pick<OAuthCore, 'credentialChanges'>): Passkeys {
  const { store, config } = core;
  const passkeySource: FactorSource = {
    kind: 'passkey',
    count: async (userId) => (await store.listPasskeys(userId)).length,
  };
  const totpSource: FactorSource = {
    kind: 'totp',
    count: async (userId) => ((await store.findTotp(userId))?.confirmedAt == null ? 0 : 1),
  };
  const guard = createFactorGuard({
    sources: [passkeySource, totpSource],
    // `login.requireMfa`, or an admin marked the person "MFA required".
    requiresMfa: async (userId) =>
      config.login.requireMfa || (await store.findUser(userId))?.mfaRequired === true,
  });
  const passkeys = createPasskeyService({
    store,
    masterKey: core.masterKey,
    settings: webAuthnSettingsOf(core.issuer, config.webauthn),
    clock: core.clock,
    audit: core.audit,
    guard,
    credentialChanges: oauth.credentialChanges,
  });
  return { passkeys, guard };
}
