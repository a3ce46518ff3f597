/**
 * What a user's sign-in yields: an access token, usually a refresh token, and with `openid` an ID
 * token whose claims oauth4webapi has validated (signature, `iss`, `aud`, `nonce`, `exp`).
 */
import { parseScope } from '@tessera/protocol';
import type * as oauth from 'oauth4webapi';
import type { Clock } from '../clock.js';
import { DEFAULT_LIFETIME } from '../renewal-policy.js';

/**
 * Tokens from the token endpoint, with absolute times on the application's clock.
 *
 * @example
 * ```ts
 * const tokens: TokenSet = await webApp.handleCallback(url, transaction);
 * tokens.claims?.sub; // the user
 * ```
 */
export interface TokenSet {
  accessToken: string;
  /** Seconds since the epoch at which the access token expires. */
  expiresAt: number;
  /** RFC 6749 §6; rotated on every use by Tessera (RFC 9700 §4.14). */
  refreshToken?: string;
  /** The raw ID token (kept for `id_token_hint` at logout). */
  idToken?: string;
  /** Validated ID-token claims. */
  claims?: Readonly<Record<string, unknown>>;
  scope: string[];
}

/**
 * Builds a {@link TokenSet} from a processed token response.
 *
 * @example
 * ```ts
 * const tokens = tokenSetOf(result, oauth.getValidatedIdTokenClaims(result), clock.now(), previous);
 * ```
 */
export function tokenSetOf(
  result: oauth.TokenEndpointResponse,
  claims: oauth.IDToken | undefined,
  obtainedAt: number,
  previous?: TokenSet,
): TokenSet {
  const tokens: TokenSet = {
    accessToken: result.access_token,
    expiresAt: obtainedAt + (result.expires_in ?? DEFAULT_LIFETIME),
    scope: result.scope === undefined ? (previous?.scope ?? []) : parseScope(result.scope),
  };
  const refreshToken = result.refresh_token ?? previous?.refreshToken;
  if (refreshToken !== undefined) {
    tokens.refreshToken = refreshToken;
  }
  // A refresh response may omit the ID token (OIDC Core §12.2): keep the one from the sign-in.
  const idToken = result.id_token ?? previous?.idToken;
  if (idToken !== undefined) {
    tokens.idToken = idToken;
  }
  const allClaims = claims ?? previous?.claims;
  if (allClaims !== undefined) {
    tokens.claims = { ...allClaims };
  }
  return tokens;
}

/**
 * True while the access token is usable and not due for renewal `renewBefore` seconds early.
 *
 * @example
 * ```ts
 * if (!isFresh(tokens, clock, 30)) { await refresher.getAccessToken(sessionId); }
 * ```
 */
export function isFresh(tokens: Pick<TokenSet, 'expiresAt'>, clock: Clock, renewBefore: number): boolean {
  return clock.now() < tokens.expiresAt - renewBefore;
}
