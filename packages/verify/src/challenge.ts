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
  /** RFC 9728 §5.1: the URL of this resource's Protected Resource Metadata document. */
  resourceMetadata?: string | undefined;
  /** RFC 9470 §3: the authentication levels a new sign-in must reach (space-separated). */
  acrValues?: string | undefined;
  /** RFC 9470 §3: the greatest acceptable age of the sign-in, seconds. */
  maxAge?: number | undefined;
}

/** Quotes a value as an RFC 9110 §5.6.4 quoted-string. */
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** The parameters both schemes share: realm, then error, its description and scope (RFC 6750 §3). */
function errorParts(params: {
  realm: string;
  error?: string | undefined;
  errorDescription?: string | undefined;
  scope?: string | undefined;
}): string[] {
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
  return parts;
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
  const parts = errorParts(params);
  if (params.resourceMetadata !== undefined) {
    parts.push(`resource_metadata=${quote(params.resourceMetadata)}`);
  }
  if (params.acrValues !== undefined && params.acrValues.length > 0) {
    parts.push(`acr_values=${quote(params.acrValues)}`);
  }
  if (params.maxAge !== undefined) {
    // RFC 9470 §3 shows max_age as a token (an integer), not a quoted-string.
    parts.push(`max_age=${String(Math.max(0, Math.floor(params.maxAge)))}`);
  }
  return `Bearer ${parts.join(', ')}`;
}

/**
 * What a DPoP challenge says (RFC 9449 §7.1).
 *
 * @example
 * ```ts
 * const params: DpopChallengeParams = { realm: 'api', algorithms: ['ES256'], error: 'invalid_dpop_proof' };
 * ```
 */
export interface DpopChallengeParams {
  realm: string;
  /** The proof algorithms accepted (`algs`). */
  algorithms: readonly string[];
  error?: string | undefined;
  errorDescription?: string | undefined;
  scope?: string | undefined;
}

/**
 * Builds the `DPoP` challenge of RFC 9449 §7.1.
 *
 * @example
 * ```ts
 * buildDpopChallenge({ realm: 'api', algorithms: ['ES256', 'EdDSA'], error: 'invalid_dpop_proof' });
 * // 'DPoP realm="api", error="invalid_dpop_proof", algs="ES256 EdDSA"'
 * ```
 */
export function buildDpopChallenge(params: DpopChallengeParams): string {
  const parts = errorParts(params);
  parts.push(`algs=${quote(params.algorithms.join(' '))}`);
  return `DPoP ${parts.join(', ')}`;
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
