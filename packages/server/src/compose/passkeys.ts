/**
 * Passkeys: the WebAuthn relying party derived from the issuer (or `webauthn.*`), the passkey
 * service, and the factor guard that keeps an MFA-bound person's last factor (other kinds of
 * factor add a {@link FactorSource} here).
 */
import { createFactorGuard, type FactorGuard, type FactorSource } from '../users/factor-guard.js';
import { createPasskeyService, type PasskeyService, webAuthnSettingsOf } from '../users/passkey-service.js';
import type { Core } from './core.js';

export interface Passkeys {
  passkeys: PasskeyService;
  guard: FactorGuard;
}

export function composePasskeys(core: Core): Passkeys {
  const { store, config } = core;
  const passkeySource: FactorSource = {
    kind: 'passkey',
    count: async (userId) => (await store.listPasskeys(userId)).length,
  };
  const guard = createFactorGuard({
    sources: [passkeySource],
    // No MFA policy yet: every removal is allowed.
    requiresMfa: async () => false,
  });
  const passkeys = createPasskeyService({
    store,
    masterKey: core.masterKey,
    settings: webAuthnSettingsOf(core.issuer, config.webauthn),
    clock: core.clock,
    audit: core.audit,
    guard,
  });
  return { passkeys, guard };
}
