/**
 * The wallets and DIDs a person signs in with besides their username (linked on the account page
 * by the authenticator that proves them, e.g. Sign-In with Ethereum). Unlinking never leaves a person
 * without a way to sign in: an account has a password (which self-service never removes) unless it
 * was created by signing in with a wallet, and that wallet (the account's id) cannot be unlinked.
 */
import { OAuthError } from '@tessera/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import type { LinkedIdentifierRecord, LinkedIdentifierStore, UserRecord } from '../store/ports.js';

export interface LinkedIdentifiers {
  list(userId: string): Promise<LinkedIdentifierRecord[]>;
  /** Throws `not_found` (not this person's) or `invalid_request` (the wallet the account is). */
  unlink(user: UserRecord, identifier: string, context: { requestId: string }): Promise<void>;
}

export function createLinkedIdentifiers(deps: {
  store: Pick<LinkedIdentifierStore, 'listLinkedIdentifiers' | 'unlinkIdentifier'>;
  audit: Pick<AuditLog, 'record'>;
}): LinkedIdentifiers {
  const { store } = deps;
  return {
    list(userId) {
      return store.listLinkedIdentifiers(userId);
    },

    async unlink(user, identifier, context) {
      if (identifier === user.id) {
        throw OAuthError.invalidRequest(
          'Your account was created with this wallet, and it is how you sign in: it cannot be unlinked. You can delete the account instead.',
        );
      }
      if (!(await store.unlinkIdentifier(user.id, identifier))) {
        throw OAuthError.notFound('That identifier is not linked to your account.');
      }
      deps.audit.record({
        type: 'identifier.unlinked',
        actor: user.id,
        subject: user.id,
        data: { identifier },
        requestId: context.requestId,
      });
    },
  };
}
