/**
 * The authorization code grant (RFC 6749 §4.1.3, OAuth 2.1 §4.1.3) as a checklist:
 * well-formed code → issued to this client and consumed exactly once, in one conditional update
 * (another client's attempt changes nothing; a replay by the same client revokes everything issued
 * from it, RFC 6749 §4.1.2 and RFC 9700 §4.5) → unexpired → same redirect_uri → PKCE verifier
 * matches the challenge (RFC 7636 §4.6; a verifier without a challenge is a downgrade, refused) →
 * the user still exists and is enabled → the login session has not ended and the consent not been
 * revoked → tokens.
 */
import { OAuthError, parseSecret, type TokenResponse } from '@tessera/protocol';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import { hashSecret } from '../../ids.js';
import type {
  AuthorizationCodeRecord,
  AuthorizationCodeStore,
  ClientRecord,
  ConsentStore,
  SessionStore,
  UserStore,
} from '../../store/ports.js';
import { audiencesOutside } from '../../tokens/audience.js';
import { verifyS256 } from '../pkce.js';
import type { Grant, GrantContext } from './index.js';
import { approvalStillHolds, mayHaveRefreshToken, type UserTokens } from './user-tokens.js';

export interface AuthorizationCodeGrantDeps {
  store: Pick<AuthorizationCodeStore, 'consumeAuthorizationCode'> &
    Pick<UserStore, 'findUser'> &
    Pick<SessionStore, 'findSession'> &
    Pick<ConsentStore, 'findConsent'>;
  tokens: UserTokens;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
  onIssued?: (event: { clientId: string; refresh: boolean; format: 'jwt' | 'opaque' }) => void;
}

function invalidCode(cause: string): OAuthError {
  // One public message while the code could still be redeemed (unknown, another client's, replayed):
  // saying which check failed would tell a holder of a stolen code that it is live.
  return OAuthError.invalidGrant(
    'The authorization code is invalid, expired, already used or was issued to another client',
    { cause },
  );
}

/**
 * A check that failed after the code was consumed by its own client: the code is spent whatever the
 * answer says, so naming the check tells the client only what it sent wrong.
 */
function spentCode(what: string, cause: string): OAuthError {
  return OAuthError.invalidGrant(
    `${what}. The authorization code cannot be used again: start a new authorization request`,
    { cause },
  );
}

function assertBoundToRequest(
  record: AuthorizationCodeRecord,
  client: ClientRecord,
  params: Record<string, string>,
  now: number,
): void {
  // RFC 6749 §4.1.3: "ensure that the authorization code was issued to the authenticated client".
  if (record.clientId !== client.id) {
    throw invalidCode('code issued to another client');
  }
  if (record.expiresAt <= now) {
    throw spentCode('The authorization code has expired', 'code expired');
  }
  // RFC 6749 §4.1.3: redirect_uri identical to the authorization request's (always sent there).
  if (params.redirect_uri !== record.redirectUri) {
    throw spentCode(
      'redirect_uri is not identical to the redirect_uri of the authorization request (RFC 6749 section 4.1.3)',
      'redirect_uri does not match',
    );
  }
  const verifier = params.code_verifier;
  if (record.codeChallenge === null) {
    // OAuth 2.1 §4.1.3 / RFC 9700 §2.1.1: a verifier for a code issued without a challenge is a
    // PKCE downgrade attempt.
    if (verifier !== undefined) {
      throw spentCode(
        'code_verifier was sent, but the authorization request had no code_challenge (RFC 9700 section 4.8.2)',
        'code_verifier sent for a code issued without code_challenge',
      );
    }
    return;
  }
  if (verifier === undefined) {
    throw spentCode(
      'code_verifier is required: the authorization request sent a code_challenge (RFC 7636 section 4.5)',
      'code_verifier missing',
    );
  }
  if (!verifyS256(verifier, record.codeChallenge)) {
    throw spentCode(
      'code_verifier does not match the code_challenge of the authorization request (RFC 7636 section 4.6)',
      'code_verifier does not match code_challenge',
    );
  }
}

function resolveAudience(record: AuthorizationCodeRecord, resources: readonly string[]): string[] {
  // RFC 8707 §2.2: the token request may narrow the audience to resources the grant covers.
  if (audiencesOutside(resources, record.audience).length > 0) {
    throw OAuthError.invalidTarget('The requested resource was not part of the authorization');
  }
  return resources.length > 0 ? [...new Set(resources)] : record.audience;
}

export function createAuthorizationCodeGrant(deps: AuthorizationCodeGrantDeps): Grant {
  return {
    grantType: 'authorization_code',
    parameters: ['code', 'redirect_uri', 'code_verifier', 'resource'],
    async handle(context: GrantContext): Promise<TokenResponse> {
      const { client, params } = context;
      const code = params.code;
      if (code === undefined) {
        throw OAuthError.invalidRequest('code is required');
      }
      if (parseSecret(code, 'ac') === undefined) {
        throw invalidCode('malformed code');
      }
      const now = deps.clock.now();
      // Bound to the presenting client before anything changes: another client's attempt neither
      // burns the code nor triggers the replay revocation of the rightful client's grant.
      const result = await deps.store.consumeAuthorizationCode(hashSecret(code), client.id, now);
      if (result.status === 'not_found') {
        throw invalidCode('unknown code');
      }
      if (result.status === 'wrong_client') {
        throw invalidCode('code issued to another client');
      }
      if (result.status === 'replayed') {
        // RFC 6749 §4.1.2: "If an authorization code is used more than once, the authorization
        // server MUST deny the request and SHOULD revoke (when possible) all tokens previously
        // issued based on that authorization code."
        deps.audit.record({
          type: 'authorization_code.reused',
          actor: client.id,
          subject: result.record.grantId,
          data: { clientId: result.record.clientId, userId: result.record.userId },
          requestId: context.requestId,
        });
        await deps.tokens.revokeGrant(result.record.grantId, 'authorization code replayed', client.id);
        throw invalidCode('code replayed');
      }
      const record = result.record;
      assertBoundToRequest(record, client, params, now);
      // RFC 9449 §10: a code requested with dpop_jkt is redeemed only with a proof by that key.
      if (record.dpopJkt !== undefined && record.dpopJkt !== context.dpop?.jkt) {
        throw invalidCode('the DPoP proof key is not the dpop_jkt of the authorization request');
      }
      const holds = await approvalStillHolds(deps.store, record, client);
      if ('failure' in holds) {
        throw invalidCode(holds.failure);
      }
      const { user } = holds;
      const refresh = mayHaveRefreshToken(client, record.scope);
      const { response } = await deps.tokens.issue(
        {
          client,
          user,
          scope: record.scope,
          grantScope: record.scope,
          audience: resolveAudience(record, context.resources),
          familyId: record.grantId,
          sessionId: record.sessionId,
          authTime: record.authTime,
          amr: record.amr,
          acr: record.acr,
          origin: context.origin,
          nonce: record.nonce,
          jkt: context.dpop?.jkt,
        },
        { refreshToken: refresh },
      );
      deps.onIssued?.({ clientId: client.id, refresh, format: client.tokenFormat });
      return response;
    },
  };
}
