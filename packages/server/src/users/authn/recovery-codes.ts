/**
 * Recovery codes: ten single-use codes for when the authenticator is lost. Each is 10 characters
 * of Crockford base32 from `crypto.randomBytes` (50 bits, shown as `xxxxx-xxxxx`), stored only as
 * SHA-256 (high entropy, DESIGN §3) and shown once. Using one marks it used atomically.
 */
import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import { hashSecret } from '../../ids.js';
import type { MfaStore } from '../../store/ports.js';
import type { CredentialChanges } from '../../tokens/credential-changes.js';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function newCode(): string {
  const bytes = randomBytes(10);
  let out = '';
  for (const byte of bytes) {
    out += ALPHABET[byte & 31];
  }
  return `${out.slice(0, 5)}-${out.slice(5)}`;
}

/** Lower case, no separators or spaces; Crockford's look-alikes (i, l → 1; o → 0) forgiven. */
export function normalizeRecoveryCode(code: string): string | undefined {
  const clean = code.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  return /^[0-9a-hjkmnp-tv-z]{10}$/.test(clean) ? clean : undefined;
}

export interface RecoveryCodes {
  /** Replaces the person's codes with ten new ones, returned once. */
  generate(userId: string, actor: string): Promise<string[]>;
  /** Uses a code: true once per code. */
  use(userId: string, code: string): Promise<boolean>;
  remaining(userId: string): Promise<number>;
}

export function createRecoveryCodes(deps: {
  store: MfaStore;
  clock: Clock;
  audit: Pick<AuditLog, 'record'>;
  /** Tells verifiers the codes were replaced (OpenID CAEP `credential-change`, `update`). */
  credentialChanges?: Pick<CredentialChanges, 'changed'>;
}): RecoveryCodes {
  const hashOf = (normalized: string) => hashSecret(`recovery:${normalized}`);
  return {
    async generate(userId, actor) {
      const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
      const hashes = codes.map((code) => hashOf(normalizeRecoveryCode(code) as string));
      await deps.store.replaceRecoveryCodes(userId, hashes, deps.clock.now());
      deps.audit.record({ type: 'mfa.recovery_codes.generated', actor, subject: userId, data: {} });
      await deps.credentialChanges?.changed(
        { subject: userId, changeType: 'update', credentialType: 'recovery-code' },
        actor,
      );
      return codes;
    },
    async use(userId, code) {
      const normalized = normalizeRecoveryCode(code);
      if (normalized === undefined) {
        return false;
      }
      const used = await deps.store.useRecoveryCode(userId, hashOf(normalized), deps.clock.now());
      if (used) {
        deps.audit.record({ type: 'mfa.recovery_code.used', actor: userId, subject: userId, data: {} });
      }
      return used;
    },
    remaining(userId) {
      return deps.store.countRecoveryCodes(userId);
    },
  };
}
