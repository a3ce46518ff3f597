/**
 * Consents: which clients a person allowed, with which scopes, and taking that back. Revoking a
 * consent removes the record (the next authorization asks again) and ends every grant the person
 * gave that client: its refresh-token families, its opaque access tokens, and, through a `consent`
 * revocation on the bus and the revocation stream, every access token of that client for that
 * person already in the wild, JWTs included (DESIGN §5).
 */
import { consentTargetValue } from '@tessera/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type {
  AccessTokenStore,
  ConsentRecord,
  ConsentStore,
  RefreshTokenStore,
  SubjectChoiceStore,
} from '../store/ports.js';
import type { Revocations } from '../tokens/revocations.js';

export interface ConsentService {
  /** The consents of a user, by client id. */
  list(userId: string): Promise<ConsentRecord[]>;
  /** The pairwise `sub` the person chose per client id (users/subject-choices.ts). */
  chosenSubjects(userId: string): Promise<Map<string, string>>;
  /** Revokes the consent and every grant under it; false when there was no such consent. */
  revoke(userId: string, clientId: string, actor: string): Promise<boolean>;
}

export interface ConsentServiceDeps {
  store: Pick<ConsentStore, 'findConsent' | 'listConsents' | 'revokeConsent'> &
    Pick<SubjectChoiceStore, 'findSubjectChoice' | 'listSubjectChoices'> &
    Pick<RefreshTokenStore, 'revokeRefreshTokens'> &
    Pick<AccessTokenStore, 'revokeAccessTokensBy'>;
  revocations: Pick<Revocations, 'revoke'>;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
  /** Longest access-token lifetime: how long the consent revocation must stay in force. */
  maxAccessTokenTtl: number;
}

export function createConsentService(deps: ConsentServiceDeps): ConsentService {
  const { store, clock } = deps;
  return {
    list(userId) {
      return store.listConsents(userId);
    },

    async chosenSubjects(userId) {
      const choices = await store.listSubjectChoices(userId);
      return new Map(choices.map((choice) => [choice.clientId, choice.subject]));
    },

    async revoke(userId, clientId, actor) {
      const consent = await store.findConsent(userId, clientId);
      if (consent === undefined) {
        return false;
      }
      const now = clock.now();
      await store.revokeConsent({ userId, clientId });
      const families = await store.revokeRefreshTokens({ clientId, userId }, now);
      // One revocation covers every access token of this client for this person issued up to now,
      // with or without a refresh token, whichever session it came from; under the pairwise `sub`
      // the person chose for this client too, which its access tokens carry.
      const choice = await store.findSubjectChoice(userId, clientId);
      for (const subject of choice === undefined ? [userId] : [userId, choice.subject]) {
        await store.revokeAccessTokensBy({ clientId, subject }, now);
        await deps.revocations.revoke(
          { type: 'consent', value: consentTargetValue(clientId, subject) },
          now + deps.maxAccessTokenTtl,
        );
      }
      deps.audit.record({
        type: 'consent.revoked',
        actor,
        subject: userId,
        data: { clientId, scope: consent.scope, families: families.length },
      });
      return true;
    },
  };
}
