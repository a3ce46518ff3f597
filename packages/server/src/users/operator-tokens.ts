/**
 * Operators: people with an admin role (`UserRecord.adminScopes`) who call the admin API with an
 * access token Tessera issued to them for the console (RFC 9068 JWT, `aud` = the admin API's
 * resource URI, RFC 8707). The token's own scope bounds what it may do, and so does the person's
 * role as stored now: a role revoked or narrowed applies to tokens already issued.
 *
 * With `requireMfa`, the sign-in behind the token must have reached `urn:tessera:acr:mfa` or
 * stronger (users/authn/context.ts); otherwise the admin API answers 403 with a pointer to
 * /account, where the person sets up a second factor.
 */
import { OAuthError, parseScope } from '@tessera/protocol';
import type { UserStore } from '../store/ports.js';
import type { AdminPrincipal } from '../tokens/admin-tokens/admin-token-service.js';
import { ADMIN_SCOPES, allowsAdminScope } from '../tokens/admin-tokens/scopes.js';
import { type Revocations, revocableJwt } from '../tokens/revocations.js';
import type { AccessTokenVerifier } from '../tokens/verify-access-token.js';
import { ACR_MFA, acrLevel } from './authn/context.js';

export interface OperatorTokenDeps {
  verifyAccessToken: AccessTokenVerifier;
  revocations: Pick<Revocations, 'isRevoked'>;
  users: Pick<UserStore, 'findUser'>;
  /** The `aud` an operator's token must carry: the admin API's resource URI. */
  audience: string;
  requireMfa: boolean;
}

/** The admin API's resource URI (RFC 8707): the `aud` of an operator's access token. */
export function adminAudienceOf(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/admin`;
}

/** Shown when an operator signed in without a second factor. */
export const OPERATOR_MFA_MESSAGE =
  'The admin role needs a second factor: set up an authenticator app or a passkey on /account, then sign in again';

/**
 * The principal of an operator's access token; undefined when `token` is not one (forged, expired,
 * revoked, another audience, not an operator, disabled). Throws 403 when the sign-in lacked MFA.
 */
export type OperatorTokens = (token: string) => Promise<AdminPrincipal | undefined>;

export function createOperatorTokens(deps: OperatorTokenDeps): OperatorTokens {
  return async function authenticateOperator(token) {
    const claims = await deps.verifyAccessToken(token);
    if (claims === undefined) {
      return undefined;
    }
    const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audience.includes(deps.audience)) {
      return undefined;
    }
    if (deps.revocations.isRevoked(revocableJwt(claims))) {
      return undefined;
    }
    const person = await deps.users.findUser(claims.sub);
    if (person === undefined || person.disabled || person.adminScopes === null) {
      return undefined;
    }
    const acr = typeof claims.acr === 'string' ? claims.acr : null;
    if (deps.requireMfa && acrLevel(acr) < acrLevel(ACR_MFA)) {
      // 403, not RFC 9470's 401: signing in again cannot help until the person has a second factor.
      throw OAuthError.insufficientUserAuthentication(OPERATOR_MFA_MESSAGE, {
        status: 403,
        acrValues: ACR_MFA,
      });
    }
    const held = person.adminScopes;
    const granted = parseScope(claims.scope);
    return {
      id: person.id,
      name: person.username,
      // Both must allow a scope: what the token was issued for and what the person holds today.
      scopes: ADMIN_SCOPES.filter(
        (scope) => allowsAdminScope(granted, scope) && allowsAdminScope(held, scope),
      ),
    };
  };
}
