/**
 * What a verifier does with a token whose subject changed a credential after the sign-in the token
 * comes from (OpenID CAEP 1.0 §3.3 `credential-change`, a `credential` event on the revocation
 * stream). CAEP leaves the reaction to the receiver; the default follows its spirit: a changed
 * password means the old one may be known to someone else, so tokens from before it are refused;
 * a removed second factor (passkey, authenticator app) means a sign-in made with it no longer
 * proves what it did, so those tokens must come back from a fresh sign-in; anything added or
 * rotated (a new passkey, new recovery codes, a rotated client secret, a revoked API key, which is
 * revoked by its own event) changes nothing for tokens already issued.
 */
import { type CredentialType, OAuthError } from '@tessera/protocol';
import type { CredentialChangeSeen } from './denylist.js';
import type { VerifiedToken } from './verified-token.js';

/**
 * `ignore`: serve the token. `step_up`: 401 `insufficient_user_authentication` with `max_age` (RFC
 * 9470 §3), so the client sends the person to sign in again; a token from a sign-in after the change
 * passes (a refresh keeps the old `auth_time`, so it does not). `revoke`: 401 `invalid_token`.
 */
export type CredentialChangeAction = 'ignore' | 'step_up' | 'revoke';

/** One action for every change, or a function of the change and the token. */
export type CredentialChangePolicy =
  | CredentialChangeAction
  | ((change: CredentialChangeSeen, token: Omit<VerifiedToken, 'source'>) => CredentialChangeAction);

const SECOND_FACTORS: ReadonlySet<CredentialType> = new Set(['fido2-platform', 'fido2-roaming', 'app']);

/**
 * The default: a password changed, revoked or deleted → `revoke`; a passkey or authenticator app
 * revoked or deleted → `step_up`; everything else → `ignore`.
 *
 * @example
 * ```ts
 * defaultCredentialChangePolicy({ subject: 'usr_1', changeType: 'delete', credentialType: 'app', changedAt: 1 });
 * // 'step_up'
 * ```
 */
export function defaultCredentialChangePolicy(change: CredentialChangeSeen): CredentialChangeAction {
  if (change.credentialType === 'password') {
    return change.changeType === 'create' ? 'ignore' : 'revoke';
  }
  if (SECOND_FACTORS.has(change.credentialType)) {
    return change.changeType === 'delete' || change.changeType === 'revoke' ? 'step_up' : 'ignore';
  }
  return 'ignore';
}

const RANK: Record<CredentialChangeAction, number> = { ignore: 0, step_up: 1, revoke: 2 };

/**
 * Applies the policy to the changes a token's sign-in predates: the strongest action wins.
 * Throws `invalid_token` (revoke) or `insufficient_user_authentication` (step-up); returns otherwise.
 *
 * @example
 * ```ts
 * assertCredentialsUnchanged(changes, token, 'step_up', now);
 * ```
 */
export function assertCredentialsUnchanged(
  changes: readonly CredentialChangeSeen[],
  token: Omit<VerifiedToken, 'source'>,
  policy: CredentialChangePolicy,
  now: number,
): void {
  let action: CredentialChangeAction = 'ignore';
  let latest = 0;
  for (const change of changes) {
    const chosen = typeof policy === 'function' ? policy(change, token) : policy;
    if ((RANK[chosen] ?? 0) > RANK[action]) {
      action = chosen;
    }
    if (chosen !== 'ignore') {
      latest = Math.max(latest, change.changedAt);
    }
  }
  if (action === 'revoke') {
    throw OAuthError.invalidToken("The access token predates a change of its subject's credentials");
  }
  if (action === 'step_up') {
    // RFC 9470 §3: a sign-in no older than the change (at least 0 seconds).
    throw OAuthError.insufficientUserAuthentication('The person changed their credentials: sign in again', {
      maxAge: Math.max(0, now - latest),
    });
  }
}
