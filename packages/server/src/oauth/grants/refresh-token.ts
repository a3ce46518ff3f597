/**
 * The refresh token grant (RFC 6749 §6, OAuth 2.1 §4.3, RFC 9700 §4.14) as a checklist:
 * well-formed `tsr_rt_…` → known → issued to this client (checked before rotation, so another
 * client cannot burn it) → scope only narrowed (`invalid_scope` otherwise) → user still active →
 * ONE atomic rotation: the old token becomes used and a new one is stored, or, if it was already
 * used, the whole family is revoked (reuse detection) and a `refresh_token.reused` security event
 * is recorded. Sliding (`idleTtl`) and absolute (`maxTtl`) lifetimes are enforced by the store.
 *
 * Reuse grace (RFC 9700 §4.14.2 leaves the reaction to a reused token to the server): the same
 * client presenting the same old token again within `reuseGrace.seconds` of its rotation, while
 * the successor is still unused, gets that SAME successor back (kept sealed by the store for the
 * window only) with a fresh access token, instead of losing the family to a response lost in
 * transit. It never mints a second successor, so the family keeps one live branch, and anyone who
 * then uses the successor second still triggers reuse detection. Beyond the window, or once the
 * successor was used, the old token is a reuse as before.
 */
import { missingScopes, OAuthError, parseScope, parseSecret, type TokenResponse } from '@tessera/protocol';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import { hashSecret } from '../../ids.js';
import type { RefreshTokenRecord, RefreshTokenStore, ReuseGrace, UserStore } from '../../store/ports.js';
import type { SuccessorSealer } from '../../tokens/refresh-successor-sealer.js';
import type { Grant, GrantContext } from './index.js';
import { mayHaveRefreshToken, type UserTokens } from './user-tokens.js';

export interface RefreshTokenGrantDeps {
  store: Pick<RefreshTokenStore, 'findRefreshToken' | 'rotateRefreshToken'> & Pick<UserStore, 'findUser'>;
  tokens: UserTokens;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
  /** Reuse grace in seconds (0 or absent: none) and the sealer that keeps successors for it. */
  reuseGrace?: { seconds: number; sealer: SuccessorSealer };
  onIssued?: (event: { clientId: string; format: 'jwt' | 'opaque' }) => void;
}

function invalidToken(cause: string): OAuthError {
  return OAuthError.invalidGrant(
    'The refresh token is invalid, expired, revoked or was issued to another client',
    { cause },
  );
}

function resolveScope(requested: string | undefined, record: RefreshTokenRecord): string[] {
  const scope = parseScope(requested);
  if (scope.length === 0) {
    return record.scope;
  }
  // RFC 6749 §6: "MUST NOT include any scope not originally granted".
  if (missingScopes(scope, record.scope).length > 0) {
    throw OAuthError.invalidScope('The requested scope exceeds the scope originally granted');
  }
  return scope;
}

/** The successor kept sealed for a retry within the reuse grace. */
function openSuccessor(sealer: SuccessorSealer | undefined, oldHash: string, sealed: string): string {
  if (sealer === undefined) {
    throw invalidToken('retried rotation without a reuse grace');
  }
  try {
    return sealer.open(oldHash, sealed);
  } catch (error) {
    throw OAuthError.invalidGrant(
      'The refresh token is invalid, expired, revoked or was issued to another client',
      { cause: error },
    );
  }
}

export function createRefreshTokenGrant(deps: RefreshTokenGrantDeps): Grant {
  return {
    grantType: 'refresh_token',
    parameters: ['refresh_token', 'scope'],
    async handle(context: GrantContext): Promise<TokenResponse> {
      const { client, params } = context;
      const presented = params.refresh_token;
      if (presented === undefined) {
        throw OAuthError.invalidRequest('refresh_token is required');
      }
      if (parseSecret(presented, 'rt') === undefined) {
        throw invalidToken('malformed refresh token');
      }
      const hash = hashSecret(presented);
      const record = await deps.store.findRefreshToken(hash);
      if (record === undefined) {
        throw invalidToken('unknown refresh token');
      }
      // RFC 6749 §6: "validate the refresh token and ensure that it was issued to the authenticated
      // client". Checked before rotating so a foreign client cannot trigger reuse detection.
      if (record.clientId !== client.id) {
        throw invalidToken('refresh token of another client');
      }
      // RFC 9449 §5: a public client's refresh token is bound to its DPoP key; only a proof with
      // that key may use it (checked before rotation, so a thief cannot burn it either).
      if (record.jkt !== null && record.jkt !== context.dpop?.jkt) {
        throw OAuthError.invalidGrant('The refresh token is bound to another DPoP key', {
          cause: context.dpop === undefined ? 'no DPoP proof' : 'DPoP key mismatch',
        });
      }
      const scope = resolveScope(params.scope, record);
      const user = await deps.store.findUser(record.userId);
      if (user === undefined || user.disabled || record.issuedAt < user.tokensValidAfter) {
        throw invalidToken('user deleted, disabled or re-keyed');
      }
      if (!mayHaveRefreshToken(client, record.scope)) {
        throw invalidToken('grant no longer allows refresh tokens');
      }
      const next = deps.tokens.nextRefreshToken(record);
      const now = deps.clock.now();
      const reuseGrace = deps.reuseGrace;
      const grace: ReuseGrace | undefined =
        reuseGrace === undefined || reuseGrace.seconds <= 0
          ? undefined
          : { until: now + reuseGrace.seconds, sealedSuccessor: reuseGrace.sealer.seal(hash, next.token) };
      const result = await deps.store.rotateRefreshToken(hash, next.record, now, grace);
      if (result.status === 'not_found') {
        throw invalidToken('expired or revoked refresh token');
      }
      if (result.status === 'reused') {
        // RFC 9700 §4.14.2: a used token presented again means it leaked; the store has revoked the
        // family, and its access tokens go too (bus `family` revocation → verifiers).
        deps.audit.record({
          type: 'refresh_token.reused',
          actor: client.id,
          subject: record.familyId,
          data: { clientId: record.clientId, userId: record.userId },
          requestId: context.requestId,
        });
        await deps.tokens.revokeGrant(record.familyId, 'refresh token reused', client.id);
        throw invalidToken('refresh token reused: family revoked');
      }
      let refreshToken = next.token;
      if (result.status === 'retried') {
        refreshToken = openSuccessor(reuseGrace?.sealer, hash, result.sealedSuccessor);
        deps.audit.record({
          type: 'refresh_token.retried',
          actor: client.id,
          subject: record.familyId,
          data: { clientId: record.clientId, userId: record.userId },
          requestId: context.requestId,
        });
      }
      const { response } = await deps.tokens.issue(
        {
          client,
          user,
          scope,
          grantScope: record.scope,
          audience: record.audience,
          familyId: record.familyId,
          sessionId: record.sessionId,
          authTime: record.authTime,
          amr: record.amr,
          acr: record.acr,
          origin: context.origin,
          nonce: null,
          jkt: context.dpop?.jkt,
          familyExpiresAt: record.familyExpiresAt,
        },
        { refreshToken: false },
      );
      response.refresh_token = refreshToken;
      deps.onIssued?.({ clientId: client.id, format: client.tokenFormat });
      return response;
    },
  };
}
