/**
 * The refresh token grant (RFC 6749 §6, OAuth 2.1 §4.3, RFC 9700 §4.14) as a checklist:
 * well-formed `tsr_rt_…` → known → issued to this client (checked before rotation, so another
 * client cannot burn it) → bound to no DPoP key or to the proof's → scope only narrowed
 * (`invalid_scope` otherwise) → user still active → ONE atomic rotation: the old token becomes
 * used and a new one is stored, or, if it was already used, the whole family is revoked (reuse
 * detection) and a `refresh_token.reused` security event is recorded. Sliding (`idleTtl`) and
 * absolute (`maxTtl`) lifetimes are enforced by the store.
 *
 * The store's `redeemRefreshToken` does the client, DPoP and person checks inside the rotation
 * (refused before any reuse check, nothing written), so a refresh reads the token and its person
 * once. Only a request that narrows the scope reads the token first, to refuse a wider scope
 * before the token is spent.
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
import type {
  ClientRecord,
  RedeemRefusal,
  RefreshTokenRecord,
  RefreshTokenStore,
  ReuseGrace,
} from '../../store/ports.js';
import type { SuccessorSealer } from '../../tokens/refresh-successor-sealer.js';
import type { Grant, GrantContext } from './index.js';
import { mayHaveRefreshToken, type UserTokens } from './user-tokens.js';

export interface RefreshTokenGrantDeps {
  store: Pick<RefreshTokenStore, 'findRefreshToken' | 'redeemRefreshToken'>;
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

function resolveScope(scope: string[], record: RefreshTokenRecord): string[] {
  if (scope.length === 0) {
    return record.scope;
  }
  // RFC 6749 §6: "MUST NOT include any scope not originally granted".
  if (missingScopes(scope, record.scope).length > 0) {
    throw OAuthError.invalidScope('The requested scope exceeds the scope originally granted');
  }
  return scope;
}

/** The error for a token the store refused (or the grant did) before spending it. */
function refused(reason: RedeemRefusal, dpopJkt: string | undefined): OAuthError {
  switch (reason) {
    // RFC 6749 §6: "validate the refresh token and ensure that it was issued to the authenticated
    // client", before rotating, so a foreign client cannot trigger reuse detection.
    case 'client':
      return invalidToken('refresh token of another client');
    // RFC 9449 §5: a public client's refresh token is bound to its DPoP key; only a proof with
    // that key may use it (checked before rotation, so a thief cannot burn it either).
    case 'dpop':
      return OAuthError.invalidGrant('The refresh token is bound to another DPoP key', {
        cause: dpopJkt === undefined ? 'no DPoP proof' : 'DPoP key mismatch',
      });
    case 'user':
      return invalidToken('user deleted, disabled or re-keyed');
  }
}

/** The checks the store's redemption makes too, for a token read before it (a narrowed scope). */
function refusalOf(
  record: RefreshTokenRecord,
  client: ClientRecord,
  jkt: string | null,
): RedeemRefusal | undefined {
  if (record.clientId !== client.id) {
    return 'client';
  }
  if (record.jkt !== null && record.jkt !== jkt) {
    return 'dpop';
  }
  return undefined;
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
      const jkt = context.dpop?.jkt ?? null;
      const requested = parseScope(params.scope);
      if (requested.length > 0) {
        // RFC 6749 §6: a narrowed scope is checked against the grant before the token is spent.
        const record = await deps.store.findRefreshToken(hash);
        if (record === undefined) {
          throw invalidToken('unknown refresh token');
        }
        const reason = refusalOf(record, client, jkt);
        if (reason !== undefined) {
          throw refused(reason, context.dpop?.jkt);
        }
        resolveScope(requested, record);
      }
      // OIDC Core §11 and the registration: a client no longer allowed refresh tokens spends none.
      if (!client.grantTypes.includes('refresh_token')) {
        throw invalidToken('grant no longer allows refresh tokens');
      }
      const next = deps.tokens.nextRefreshToken();
      const now = deps.clock.now();
      const reuseGrace = deps.reuseGrace;
      const grace: ReuseGrace | undefined =
        reuseGrace === undefined || reuseGrace.seconds <= 0
          ? undefined
          : { until: now + reuseGrace.seconds, sealedSuccessor: reuseGrace.sealer.seal(hash, next.token) };
      const result = await deps.store.redeemRefreshToken(
        { hash, clientId: client.id, jkt },
        next.successor,
        now,
        grace,
      );
      if (result.status === 'not_found') {
        throw invalidToken('unknown, expired or revoked refresh token');
      }
      if (result.status === 'refused') {
        throw refused(result.reason, context.dpop?.jkt);
      }
      const record = result.previous;
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
      // OIDC Core §11: an OpenID grant refreshes only with offline_access (every stored token of
      // such a grant has it: issuance checks the same rule, and rotation keeps the scope).
      if (!mayHaveRefreshToken(client, record.scope)) {
        throw invalidToken('grant no longer allows refresh tokens');
      }
      const scope = resolveScope(requested, record);
      const { user } = result;
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
          // Read with the redemption (the SQL store, both dialects), else by the issuance.
          chosenSubject: result.status === 'rotated' ? result.chosenSubject : undefined,
        },
        { refreshToken: false },
      );
      response.refresh_token = refreshToken;
      deps.onIssued?.({ clientId: client.id, format: client.tokenFormat });
      return response;
    },
  };
}
