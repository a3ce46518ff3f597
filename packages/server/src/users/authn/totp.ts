/**
 * TOTP second factor (RFC 6238, with otplib): SHA-1, 6 digits, 30-second steps, the defaults every
 * authenticator app reads from an `otpauth://` URI. A code is accepted within ±1 step of the clock
 * (RFC 6238 §5.2 "at most one time step ... backward" and forward, for drift), and a step once:
 * the store accepts a step only when it is later than the last one used, in one atomic update.
 *
 * The secret is sealed (AES-256-GCM, `@tessera/protocol/aead` through keys/seal.ts) under a key
 * derived from the master key, with the user id as associated data, so a sealed secret cannot be
 * moved to another person's row. It is shown once, at enrolment, as a QR code and as text.
 */
import { generateSecret, generateURI, verify } from 'otplib';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import { seal, totpAssociatedData, totpSealingKey, unseal } from '../../keys/seal.js';
import type { MfaStore, UserRecord } from '../../store/ports.js';
import type { CredentialChanges } from '../../tokens/credential-changes.js';

export const TOTP_PERIOD = 30;

export interface TotpEnrolment {
  /** Base32 secret, to type in by hand. */
  secret: string;
  /** `otpauth://totp/…` (Key Uri Format), for the QR code. */
  uri: string;
}

export interface TotpService {
  /** Starts (or restarts) an enrolment; undefined when the person already has a confirmed one. */
  begin(user: UserRecord): Promise<TotpEnrolment | undefined>;
  /** The pending enrolment's secret again (to show the same QR code after a wrong first code). */
  pending(user: UserRecord): Promise<TotpEnrolment | undefined>;
  /** Confirms the pending enrolment with a first code; true when it was right (and unused). */
  confirm(user: UserRecord, code: string): Promise<boolean>;
  /** Checks a sign-in code against the confirmed authenticator; each step is accepted once. */
  verify(userId: string, code: string): Promise<boolean>;
  /** True when the person has a confirmed authenticator. */
  enrolled(userId: string): Promise<boolean>;
  remove(userId: string, actor: string): Promise<boolean>;
}

export interface TotpServiceDeps {
  store: MfaStore;
  clock: Clock;
  audit: Pick<AuditLog, 'record'>;
  masterKey: Buffer;
  /** The name authenticator apps show (the `issuer` of the otpauth URI). */
  issuerName: string;
  /** Tells verifiers when an authenticator is confirmed or removed (OpenID CAEP `credential-change`). */
  credentialChanges?: Pick<CredentialChanges, 'changed'>;
}

/** Six digits, nothing else (spaces people type are removed first). */
export function normalizeCode(code: string): string | undefined {
  const digits = code.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(digits) ? digits : undefined;
}

export function createTotpService(deps: TotpServiceDeps): TotpService {
  const key = totpSealingKey(deps.masterKey);
  const aad = totpAssociatedData;

  function enrolment(user: UserRecord, secret: string): TotpEnrolment {
    return {
      secret,
      uri: generateURI({ issuer: deps.issuerName, label: user.username, secret, period: TOTP_PERIOD }),
    };
  }

  /** The step the code belongs to, within ±1 step of now; undefined when it matches none. */
  async function matchStep(secret: string, code: string): Promise<number | undefined> {
    const token = normalizeCode(code);
    if (token === undefined) {
      return undefined;
    }
    const result = await verify({
      secret,
      token,
      epoch: deps.clock.now(),
      period: TOTP_PERIOD,
      epochTolerance: TOTP_PERIOD,
    });
    return result.valid ? (result as { timeStep: number }).timeStep : undefined;
  }

  return {
    async begin(user) {
      const secret = generateSecret();
      const stored = await deps.store.beginTotpEnrolment(
        user.id,
        seal(key, secret, aad(user.id)),
        deps.clock.now(),
      );
      return stored ? enrolment(user, secret) : undefined;
    },

    async pending(user) {
      const record = await deps.store.findTotp(user.id);
      if (record === undefined || record.confirmedAt !== null) {
        return undefined;
      }
      return enrolment(user, unseal(key, record.sealedSecret, aad(user.id)));
    },

    async confirm(user, code) {
      const record = await deps.store.findTotp(user.id);
      if (record === undefined || record.confirmedAt !== null) {
        return false;
      }
      const step = await matchStep(unseal(key, record.sealedSecret, aad(user.id)), code);
      const now = deps.clock.now();
      if (step === undefined || !(await deps.store.useTotpStep(user.id, step, { confirmAt: now }))) {
        return false;
      }
      deps.audit.record({ type: 'mfa.totp.enrolled', actor: user.id, subject: user.id, data: {} });
      await deps.credentialChanges?.changed(
        { subject: user.id, changeType: 'create', credentialType: 'app' },
        user.id,
      );
      return true;
    },

    async verify(userId, code) {
      const record = await deps.store.findTotp(userId);
      if (record === undefined || record.confirmedAt === null) {
        return false;
      }
      const step = await matchStep(unseal(key, record.sealedSecret, aad(userId)), code);
      return step !== undefined && (await deps.store.useTotpStep(userId, step, {}));
    },

    async enrolled(userId) {
      const record = await deps.store.findTotp(userId);
      return record !== undefined && record.confirmedAt !== null;
    },

    async remove(userId, actor) {
      const removed = await deps.store.deleteTotp(userId);
      if (removed) {
        deps.audit.record({ type: 'mfa.totp.removed', actor, subject: userId, data: {} });
        await deps.credentialChanges?.changed(
          { subject: userId, changeType: 'delete', credentialType: 'app' },
          actor,
        );
      }
      return removed;
    },
  };
}
