/**
 * Standard claims by scope (OpenID Connect Core §5.4): what the ID token and `/userinfo` say about a
 * person. `sub` is always the user id (OIDC Core §2: never reassigned).
 */
import type { UserRecord } from '../../store/ports.js';

/** Claims this server can state, for discovery's `claims_supported`. */
export const SUPPORTED_CLAIMS = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'acr',
  'amr',
  'azp',
  'sid',
  'at_hash',
  'name',
  'preferred_username',
  'updated_at',
  'email',
  'email_verified',
] as const;

export function userClaims(user: UserRecord, scope: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: user.id };
  if (scope.includes('profile')) {
    claims.preferred_username = user.username;
    if (user.name !== null) {
      claims.name = user.name;
    }
    claims.updated_at = user.updatedAt;
  }
  if (scope.includes('email') && user.email !== null) {
    claims.email = user.email;
    claims.email_verified = user.emailVerified;
  }
  return claims;
}
