/**
 * OpenID CAEP 1.0 §3.3 `credential-change`: when a person's password, passkey, TOTP authenticator
 * or recovery codes change, a client's secret is rotated or an API key revoked, a `credential`
 * event goes out on the revocation stream (value `sub change_type credential_type`) and the audit
 * log records `credential.changed`. The event revokes nothing at Tessera: what Tessera itself ends
 * on such a change is decided where the change happens (a password change ends every session and
 * token of the person, a `subject` revocation). Each verifier applies its own policy to the
 * subject's tokens from sign-ins at or before the change (`onCredentialChange` in @tessera/verify).
 */
import { type CredentialChange, type CredentialType, credentialChangeTargetValue } from '@tessera/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { Revocations } from './revocations.js';

export interface CredentialChanges {
  /** Streams and audits one change; resolves once the event is stored and published. */
  changed(change: CredentialChange, actor: string): Promise<void>;
}

export interface CredentialChangesDeps {
  revocations: Pick<Revocations, 'revoke'>;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
  /**
   * Seconds the event stays in force. A verifier compares it with a token's sign-in time (a refresh
   * keeps that time), so it must last as long as a token from an earlier sign-in can still be minted:
   * `short` (the longest access-token lifetime) where none can (a password change revokes every
   * session and refresh token; a rotated client secret or a revoked API key mints nothing older),
   * `long` (as long as a session or a refresh-token grant may live, plus one access token) for a
   * second factor or recovery codes, which end nothing at Tessera.
   */
  retention: { short: number; long: number };
}

/** Changes after which Tessera mints no token from an earlier sign-in (see `retention`). */
const ENDS_OLDER_TOKENS: ReadonlySet<CredentialType> = new Set(['password', 'client-secret', 'api-key']);

export function createCredentialChanges(deps: CredentialChangesDeps): CredentialChanges {
  return {
    async changed(change, actor) {
      const now = deps.clock.now();
      await deps.revocations.revoke(
        { type: 'credential', value: credentialChangeTargetValue(change) },
        now +
          Math.max(
            1,
            ENDS_OLDER_TOKENS.has(change.credentialType) ? deps.retention.short : deps.retention.long,
          ),
      );
      deps.audit.record({
        type: 'credential.changed',
        actor,
        subject: change.subject,
        data: { change_type: change.changeType, credential_type: change.credentialType },
      });
    },
  };
}
