/**
 * Which identifier an application sees (OIDC Core §8), chosen by the person on the account page:
 * for a client registered `public`, the person may ask for a pairwise `sub` of that client's own
 * (more privacy: the application cannot correlate them with other applications by their account
 * id), and switch back. A client registered `pairwise` chose privacy for everyone: nobody may
 * choose `public` there, and choosing is refused.
 *
 * A change ends what the application holds under the old identifier: its refresh-token families
 * for the person, its opaque access tokens, and (a `consent` revocation under the old `sub`, on
 * the revocation stream) its JWT access tokens. The consent itself stays; the application's next
 * sign-in gets tokens with the new `sub`, so no token of one application ever names the person
 * by two identifiers.
 */
import { consentTargetValue, OAuthError } from '@tessera/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type {
  AccessTokenStore,
  ClientRecord,
  ConsentStore,
  RefreshTokenStore,
  SubjectChoiceRecord,
  SubjectChoiceStore,
} from '../store/ports.js';
import type { Revocations } from '../tokens/revocations.js';

export type SubjectChoice = 'public' | 'pairwise';

export interface SubjectChoices {
  /** The person's choices, by client id. */
  list(userId: string): Promise<SubjectChoiceRecord[]>;
  /**
   * Sets what `clientId` sees of the person; false when it already was that. Throws `not_found`
   * (no consent to this client) or `invalid_request` (a client registered pairwise).
   */
  choose(
    userId: string,
    clientId: string,
    choice: SubjectChoice,
    context: { actor: string; requestId?: string },
  ): Promise<boolean>;
}

export interface SubjectChoicesDeps {
  store: SubjectChoiceStore &
    Pick<ConsentStore, 'findConsent'> &
    Pick<RefreshTokenStore, 'revokeRefreshTokens'> &
    Pick<AccessTokenStore, 'revokeAccessTokensBy'>;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  /** The pairwise `sub` for a client and a person (oauth/oidc/pairwise.ts, `ChosenSubjectOf`). */
  chosenSubjectOf: (clientId: string, userId: string) => string;
  revocations: Pick<Revocations, 'revoke'>;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
  /** Longest access-token lifetime: how long the revocation of the old tokens must stay in force. */
  maxAccessTokenTtl: number;
}

export function createSubjectChoices(deps: SubjectChoicesDeps): SubjectChoices {
  const { store, clock } = deps;

  /** Ends the client's grants for the person that name them by `subject` (the old identifier). */
  async function endGrantsUnder(userId: string, clientId: string, subject: string, now: number) {
    await store.revokeRefreshTokens({ clientId, userId }, now);
    await store.revokeAccessTokensBy({ clientId, subject }, now);
    await deps.revocations.revoke(
      { type: 'consent', value: consentTargetValue(clientId, subject) },
      now + deps.maxAccessTokenTtl,
    );
  }

  return {
    list(userId) {
      return store.listSubjectChoices(userId);
    },

    async choose(userId, clientId, choice, context) {
      const [client, consent] = await Promise.all([
        deps.clients.get(clientId),
        store.findConsent(userId, clientId),
      ]);
      if (client === undefined || consent === undefined) {
        throw OAuthError.notFound('That application is not connected to your account.');
      }
      if (client.subjectType === 'pairwise') {
        // OIDC Core §8: the client registered pairwise for everyone; a person cannot undo that.
        throw OAuthError.invalidRequest(
          'This application already knows you by an identifier of its own; that cannot be changed.',
        );
      }
      const current = await store.findSubjectChoice(userId, clientId);
      if ((current !== undefined) === (choice === 'pairwise')) {
        return false;
      }
      const now = clock.now();
      if (choice === 'pairwise') {
        await store.setSubjectChoice({
          userId,
          clientId,
          subject: deps.chosenSubjectOf(clientId, userId),
          chosenAt: now,
        });
        await endGrantsUnder(userId, clientId, userId, now);
      } else {
        await store.clearSubjectChoice(userId, clientId);
        await endGrantsUnder(userId, clientId, current?.subject ?? userId, now);
      }
      deps.audit.record({
        type: 'subject.chosen',
        actor: context.actor,
        subject: userId,
        data: { clientId, subjectType: choice },
        ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
      });
      return true;
    },
  };
}
