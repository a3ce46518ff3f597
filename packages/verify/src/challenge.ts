/**
 * RFC 6750 §3: the `WWW-Authenticate: Bearer` challenge of a protected resource, and the error
 * response every adapter sends. One builder, so the four adapters answer byte for byte alike.
 */
import type { OAuthError } from '@tessera/protocol';

/**
 * What a challenge says (RFC 6750 §3).
 *
 * @example
 * ```ts
 * const params: ChallengeParams = { realm: 'api', error: 'invalid_token', errorDescription: 'expired' };
 * ```
 */
export interface ChallengeParams {
  /** RFC 6750 §3 / RFC 9110 §11.6.1: the protection space, e.g. the API's name. */
  realm: string;
  /** RFC 6750 §3.1 error code; omitted when the request carried no credentials at all. */
  error?:
    | 'invalid_request'
    | 'invalid_token'
    | 'insufficient_scope'
    | 'insufficient_user_authentication'
    | undefined;
  /** Human-readable, within RFC 6749 §5.2's character set (OAuthError already ensures it). */
  errorDescription?: string | undefined;
  /** RFC 6750 §3: the scope needed, space-separated (with `insufficient_scope`). */
  scope?: string | undefined;
}

/** Quotes a value as an RFC 9110 §5.6.4 quoted-string. */
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Builds the `WWW-Authenticate` header value of RFC 6750 §3.
 *
 * @example
 * ```ts
 * buildChallenge({ realm: 'cookie-jar', error: 'insufficient_scope', scope: 'cookies:eat' });
 * // 'Bearer realm="cookie-jar", error="insufficient_scope", scope="cookies:eat"'
 * ```
 */
export function buildChallenge(params: ChallengeParams): string {
  const parts = [`realm=${quote(params.realm)}`];
  if (params.error !== undefined) {
    parts.push(`error=${quote(params.error)}`);
    if (params.errorDescription !== undefined && params.errorDescription.length > 0) {
      parts.push(`error_description=${quote(params.errorDescription)}`);
    }
  }
  if (params.scope !== undefined && params.scope.length > 0) {
    parts.push(`scope=${quote(params.scope)}`);
  }
  return `Bearer ${parts.join(', ')}`;
}

/**
 * The RFC 6750 §3.1 code a challenge may carry for an error, or undefined (other codes, such as
 * `temporarily_unavailable`, are answered without an error in the challenge).
 *
 * @example
 * ```ts
 * challengeCodeOf(OAuthError.invalidToken('expired')); // 'invalid_token'
 * ```
 */
export function challengeCodeOf(error: Pick<OAuthError, 'code'>): ChallengeParams['error'] {
  switch (error.code) {
    case 'invalid_request':
    case 'invalid_token':
    case 'insufficient_scope':
    case 'insufficient_user_authentication':
      return error.code;
    default:
      return undefined;
  }
}
