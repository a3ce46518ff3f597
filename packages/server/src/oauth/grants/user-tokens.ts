/**
 * What the authorization-code and refresh-token grants hand out for a person: an access token, a
 * refresh token when the client may have one (and, for OpenID Connect, only with `offline_access`,
 * OIDC Core §11), and an ID token when `openid` was granted. Also the one way a grant is torn down
 * (replayed code, reused refresh token): its refresh family, its opaque access tokens and, through
 * the revocation stream, its JWT access tokens.
 */
import type { TokenResponse } from '@tessera/protocol';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import { hashSecret, mintSecret } from '../../ids.js';
import type {
  AccessTokenStore,
  ClientRecord,
  ConsentStore,
  RefreshSuccessor,
  RefreshTokenRecord,
  RefreshTokenStore,
  SessionStore,
  SubjectChoiceStore,
  UserRecord,
  UserStore,
} from '../../store/ports.js';
import type { AccessTokenService } from '../../tokens/access-token.js';
import type { Revocations } from '../../tokens/revocations.js';
import type { IdTokenIssuer } from '../oidc/id-token.js';

export interface UserTokensDeps {
  accessTokens: AccessTokenService;
  idTokens: IdTokenIssuer;
  store: Pick<RefreshTokenStore, 'insertRefreshToken' | 'revokeRefreshTokens'> &
    Pick<AccessTokenStore, 'revokeAccessTokensBy'> &
    Pick<SubjectChoiceStore, 'findSubjectChoice'>;
  revocations: Pick<Revocations, 'revoke'>;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
  /** Seconds: sliding lifetime of each refresh token, absolute lifetime of a family. */
  refreshTokens: { idleTtl: number; maxTtl: number };
  maxAccessTokenTtl: number;
  /** When `risk.enabled`: the `tctx` claim of a session's access tokens (@tessera/risk, docs/risk.md). */
  issuanceContext?: (origin: { ip: string; userAgent: string | undefined }) => string;
}

/** The grant being turned into tokens. */
export interface UserGrant {
  client: ClientRecord;
  user: UserRecord;
  /** Scope of the access token. */
  scope: string[];
  /** Scope of the refresh token (the whole grant; RFC 6749 §6: unchanged by down-scoping). */
  grantScope: string[];
  audience: string[];
  familyId: string;
  sessionId: string | null;
  authTime: number;
  amr: string[];
  acr: string | null;
  nonce: string | null;
  /** RFC 9449 §5: the DPoP key thumbprint of the token request's proof, if it had one. */
  jkt?: string | undefined;
  /** The token request's client address and User-Agent, when known. */
  origin?: { ip: string; userAgent: string | undefined } | undefined;
  /** Absolute end of the family (refresh); undefined for a new grant. */
  familyExpiresAt?: number;
  /** The `sub` the person chose for this client, when the caller read it already (null: none). */
  chosenSubject?: string | null | undefined;
}

/**
 * What a person's approval (an authorization code, an approved device request) must still hold when
 * it is redeemed: the person exists, is enabled and was not re-keyed after signing in; the sign-in
 * session has not ended (its `session` revocation covers only tokens issued up to then, so no new
 * token may name it); the consent was not revoked (first-party clients need none). Answers the
 * person, or why the approval no longer holds.
 */
export async function approvalStillHolds(
  store: Pick<UserStore, 'findUser'> & Pick<SessionStore, 'findSession'> & Pick<ConsentStore, 'findConsent'>,
  approval: { userId: string | null; authTime: number; sessionId: string | null },
  client: Pick<ClientRecord, 'id' | 'firstParty'>,
): Promise<{ user: UserRecord } | { failure: string }> {
  const user = approval.userId === null ? undefined : await store.findUser(approval.userId);
  if (user === undefined || user.disabled || approval.authTime < user.tokensValidAfter) {
    return { failure: 'user deleted, disabled or re-keyed since the sign-in' };
  }
  if (approval.sessionId !== null && (await store.findSession(approval.sessionId)) === undefined) {
    return { failure: 'the sign-in session has ended since the approval' };
  }
  if (!client.firstParty && (await store.findConsent(user.id, client.id)) === undefined) {
    return { failure: 'the consent has been revoked since the approval' };
  }
  return { user };
}

/** OIDC Core §11 and the client's registration decide whether a refresh token is issued. */
export function mayHaveRefreshToken(client: ClientRecord, grantScope: readonly string[]): boolean {
  return (
    client.grantTypes.includes('refresh_token') &&
    (!grantScope.includes('openid') || grantScope.includes('offline_access'))
  );
}

export interface UserTokens {
  issue(
    grant: UserGrant,
    options: { refreshToken: boolean },
  ): Promise<{ response: TokenResponse; refresh?: RefreshTokenRecord; refreshToken?: string }>;
  /**
   * The next refresh token of a family (for rotation), not stored: the secret and what the store
   * needs to store it as the presented token's successor.
   */
  nextRefreshToken(): { token: string; successor: RefreshSuccessor };
  revokeGrant(familyId: string, reason: string, actor: string): Promise<void>;
}

export function createUserTokens(deps: UserTokensDeps): UserTokens {
  const { clock } = deps;
  return {
    async issue(grant, options) {
      const now = clock.now();
      const claims: Record<string, unknown> = { auth_time: grant.authTime };
      if (grant.acr !== null) {
        claims.acr = grant.acr;
      }
      if (grant.amr.length > 0) {
        claims.amr = grant.amr;
      }
      if (grant.sessionId !== null) {
        claims.sid = grant.sessionId;
        if (deps.issuanceContext !== undefined && grant.origin !== undefined) {
          claims.tctx = deps.issuanceContext(grant.origin);
        }
      }
      // OIDC Core §8: the pairwise `sub` the person chose for this (public) client names them in
      // its access tokens too; a client registered pairwise keeps the account id there.
      const chosen =
        grant.client.subjectType === 'pairwise'
          ? undefined
          : grant.chosenSubject !== undefined
            ? (grant.chosenSubject ?? undefined)
            : (await deps.store.findSubjectChoice(grant.user.id, grant.client.id))?.subject;
      const access = await deps.accessTokens.issue({
        client: grant.client,
        subject: chosen ?? grant.user.id,
        scope: grant.scope,
        audience: grant.audience,
        grantId: grant.familyId,
        claims,
        jkt: grant.jkt,
      });
      const response: TokenResponse = {
        access_token: access.token,
        token_type: access.tokenType,
        expires_in: access.expiresIn,
        scope: grant.scope.join(' '),
      };
      let refresh: RefreshTokenRecord | undefined;
      let refreshToken: string | undefined;
      if (options.refreshToken) {
        const familyExpiresAt = grant.familyExpiresAt ?? now + deps.refreshTokens.maxTtl;
        refreshToken = mintSecret('rt');
        refresh = {
          hash: hashSecret(refreshToken),
          familyId: grant.familyId,
          clientId: grant.client.id,
          userId: grant.user.id,
          sessionId: grant.sessionId,
          scope: grant.grantScope,
          audience: grant.audience,
          authTime: grant.authTime,
          amr: grant.amr,
          acr: grant.acr,
          issuedAt: now,
          expiresAt: Math.min(now + deps.refreshTokens.idleTtl, familyExpiresAt),
          familyExpiresAt,
          usedAt: null,
          revokedAt: null,
          // RFC 9449 §5: bound for public clients; a confidential client's authentication binds it.
          jkt: grant.client.tokenEndpointAuthMethod === 'none' ? (grant.jkt ?? null) : null,
        };
        await deps.store.insertRefreshToken(refresh);
        response.refresh_token = refreshToken;
      }
      if (grant.scope.includes('openid')) {
        response.id_token = await deps.idTokens.issue({
          client: grant.client,
          user: grant.user,
          scope: grant.scope,
          nonce: grant.nonce,
          authTime: grant.authTime,
          amr: grant.amr,
          acr: grant.acr,
          sessionId: grant.sessionId,
          accessToken: access.token,
          chosenSubject: chosen,
        });
      }
      return {
        response,
        ...(refresh === undefined ? {} : { refresh }),
        ...(refreshToken === undefined ? {} : { refreshToken }),
      };
    },

    nextRefreshToken() {
      const now = clock.now();
      const token = mintSecret('rt');
      return {
        token,
        // RFC 9700 §4.14.2: sliding expiry; the store caps it at the family's absolute end.
        successor: { hash: hashSecret(token), issuedAt: now, expiresAt: now + deps.refreshTokens.idleTtl },
      };
    },

    async revokeGrant(familyId, reason, actor) {
      const now = clock.now();
      await deps.store.revokeRefreshTokens({ familyId }, now);
      await deps.store.revokeAccessTokensBy({ grantId: familyId }, now);
      await deps.revocations.revoke({ type: 'family', value: familyId }, now + deps.maxAccessTokenTtl);
      deps.audit.record({ type: 'grant.revoked', actor, subject: familyId, data: { reason } });
    },
  };
}
