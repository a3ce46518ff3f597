/**
 * What Tessera holds about a person, as one JSON document (the account page's download and
 * `GET /admin/users/{id}/export`): profile, linked wallets and DIDs, passkeys (metadata only),
 * second factors (enabled or not), sessions, consents, API keys (metadata only), the risk engine's
 * history of the person (hashes of the values, never raw addresses or User-Agents; null when none)
 * and the most recent audit events about the person. Never a secret: no password hash, no passkey public key, no TOTP
 * secret, no key or session hash.
 */

import type { RiskProfileSummary } from '@tessera/risk';
import type {
  ApiKeyStore,
  AuditStore,
  ConsentStore,
  LinkedIdentifierStore,
  PasskeyStore,
  SessionStore,
  SubjectChoiceStore,
  UserStore,
} from '../store/ports.js';
import type { SecondFactors } from './authn/second-factors.js';
import { hasPassword } from './user-service.js';

/** The most audit events, sessions and API keys one export lists (newest audit events first). */
export const EXPORT_LIMIT = 200;

export type AccountExport = (userId: string) => Promise<Record<string, unknown> | undefined>;

export function createAccountExport(deps: {
  store: Pick<UserStore, 'findUser'> &
    Pick<LinkedIdentifierStore, 'listLinkedIdentifiers'> &
    Pick<PasskeyStore, 'listPasskeys'> &
    Pick<SessionStore, 'listSessions'> &
    Pick<ConsentStore, 'listConsents'> &
    Pick<SubjectChoiceStore, 'listSubjectChoices'> &
    Pick<ApiKeyStore, 'listApiKeys'> &
    Pick<AuditStore, 'listAudit'>;
  secondFactors: Pick<SecondFactors, 'enrolledFor'>;
  clock: { now(): number };
  /** The risk engine's history of the person (`risk.enabled`), in readable form. */
  riskHistory?: (userId: string) => Promise<RiskProfileSummary | undefined>;
}): AccountExport {
  const { store } = deps;
  return async (userId) => {
    const user = await store.findUser(userId);
    if (user === undefined) {
      return undefined;
    }
    const [identifiers, passkeys, factors, sessions, consents, choices, keys, audit, risk] =
      await Promise.all([
        store.listLinkedIdentifiers(userId),
        store.listPasskeys(userId),
        deps.secondFactors.enrolledFor(userId),
        store.listSessions({ userId, limit: EXPORT_LIMIT }),
        store.listConsents(userId),
        store.listSubjectChoices(userId),
        store.listApiKeys({ owner: userId, limit: EXPORT_LIMIT }),
        store.listAudit({ subject: userId, limit: EXPORT_LIMIT }),
        deps.riskHistory?.(userId),
      ]);
    return {
      exported_at: deps.clock.now(),
      profile: {
        id: user.id,
        username: user.username,
        name: user.name,
        email: user.email,
        email_verified: user.emailVerified,
        password_set: hasPassword(user),
        mfa_required: user.mfaRequired,
        disabled: user.disabled,
        created_at: user.createdAt,
        updated_at: user.updatedAt,
      },
      linked_identifiers: identifiers.map((item) => ({
        identifier: item.identifier,
        method: item.method,
        linked_at: item.createdAt,
      })),
      passkeys: passkeys.map((passkey) => ({
        id: passkey.id,
        name: passkey.name,
        aaguid: passkey.aaguid,
        backup_eligible: passkey.backupEligible,
        created_at: passkey.createdAt,
        last_used_at: passkey.lastUsedAt,
      })),
      second_factors: { totp_enabled: factors.some((factor) => factor.name === 'totp') },
      sessions: sessions.items.map((session) => ({
        id: session.id,
        signed_in_at: session.authTime,
        last_seen_at: session.lastSeenAt,
        expires_at: session.expiresAt,
        amr: session.amr,
        user_agent: session.userAgent,
        ip: session.ip,
      })),
      consents: consents.map((consent) => ({
        client_id: consent.clientId,
        scope: consent.scope,
        granted_at: consent.grantedAt,
      })),
      // The identifier the person chose per application (OIDC Core §8): its pairwise `sub`.
      subject_choices: choices.map((choice) => ({
        client_id: choice.clientId,
        subject_type: 'pairwise',
        sub: choice.subject,
        chosen_at: choice.chosenAt,
      })),
      api_keys: keys.items.map((key) => ({
        id: key.id,
        name: key.name,
        start: key.start,
        scope: key.scope,
        created_at: key.createdAt,
        expires_at: key.expiresAt,
        last_used_at: key.lastUsedAt,
        revoked_at: key.revokedAt,
      })),
      risk_history: risk ?? null,
      audit_events: audit.items.map((event) => ({
        type: event.type,
        actor: event.actor,
        at: event.at,
        data: event.data,
      })),
    };
  };
}
