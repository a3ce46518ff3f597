/**
 * What an authorization request needs next, given the browser's session: a login, a consent, or
 * nothing (issue the code). `prompt=none` turns "needs a login/consent" into the OIDC Core
 * §3.1.2.6 errors, redirected to the client.
 */
import { OAuthError } from '@tessera/protocol';
import type { ClientRecord, ConsentRecord, SessionRecord, UserRecord } from '../../store/ports.js';
import { satisfiesAcr } from '../../users/authn/context.js';
import type { AuthorizationRequest } from './parse-request.js';

export type Decision =
  | { kind: 'login'; reason: 'no_session' | 'prompt' | 'max_age' | 'acr' }
  | { kind: 'consent' }
  | { kind: 'issue' };

export interface DecisionInput {
  request: AuthorizationRequest;
  client: ClientRecord;
  /** The browser's live session and its user, if any. */
  session: { record: SessionRecord; user: UserRecord } | undefined;
  consent: ConsentRecord | undefined;
  /** The person just approved the consent page of this very request. */
  consentGiven: boolean;
  /** The session was created by a login made for this very request (satisfies `prompt=login`). */
  loggedInForThisRequest: boolean;
  /**
   * The `acr` values one of which the session must reach (request `acr_values` and the MFA
   * policy, see users/authn/policy.ts); empty: any.
   */
  wantedAcr: readonly string[];
  now: number;
}

function needsLogin(input: DecisionInput): Extract<Decision, { kind: 'login' }>['reason'] | undefined {
  const { session, request } = input;
  if (session === undefined) {
    return 'no_session';
  }
  const authTime = session.record.authTime;
  // OIDC Core §3.1.2.1 prompt=login: re-authenticate, even with a session.
  if (request.prompt.includes('login') && !input.loggedInForThisRequest) {
    return 'prompt';
  }
  // OIDC Core §3.1.2.1 max_age: the last authentication is too old.
  if (request.maxAge !== null && input.now - authTime > request.maxAge) {
    return 'max_age';
  }
  // OIDC Core §3.1.2.1 acr_values, RFC 9470 §4: the session's level is below what is asked.
  if (!satisfiesAcr(session.record.acr, input.wantedAcr)) {
    return 'acr';
  }
  return undefined;
}

function needsConsent(input: DecisionInput): boolean {
  if (input.consentGiven) {
    return false;
  }
  if (input.request.prompt.includes('consent')) {
    return true;
  }
  // First-party clients are part of this deployment; asking the person would teach them to click through.
  if (input.client.firstParty) {
    return false;
  }
  const granted = new Set(input.consent?.scope ?? []);
  return input.request.scope.some((s) => !granted.has(s));
}

export function decideNext(input: DecisionInput): Decision {
  const none = input.request.prompt.includes('none');
  const login = needsLogin(input);
  if (login !== undefined) {
    if (none) {
      throw OAuthError.loginRequired(
        login === 'acr' ? 'The sign-in does not reach the requested acr_values' : 'The user is not signed in',
        { redirectable: true },
      );
    }
    return { kind: 'login', reason: login };
  }
  if (needsConsent(input)) {
    if (none) {
      throw OAuthError.consentRequired('The user has not approved this client', { redirectable: true });
    }
    return { kind: 'consent' };
  }
  return { kind: 'issue' };
}
