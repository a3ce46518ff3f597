/**
 * RFC 9470 (OAuth 2.0 Step-Up Authentication Challenge): a resource that needs a stronger or more
 * recent sign-in than the token's refuses it with `insufficient_user_authentication` (401) and says
 * what a new sign-in must reach: `acr_values` and/or `max_age` in the `WWW-Authenticate` challenge
 * (§3). The token's `acr` and `auth_time` claims (§4; JWT claims or introspection members) decide.
 */
import { OAuthError } from '@tessera/protocol';
import type { VerifiedToken } from './verified-token.js';

/**
 * What a route needs of the person's sign-in.
 *
 * @example
 * ```ts
 * const needs: AuthenticationRequirement = { acr: 'urn:tessera:acr:phr', maxAge: 300 };
 * ```
 */
export interface AuthenticationRequirement {
  /** Acceptable `acr` values (any one of them), e.g. `urn:tessera:acr:mfa`. */
  acr?: string | readonly string[];
  /** Seconds: the sign-in (`auth_time`) may be at most this old. */
  maxAge?: number;
}

/**
 * Tessera's levels, weakest first: a token at a level satisfies a request for it or any weaker one.
 * Other `acr` values must match exactly.
 */
const TESSERA_LEVELS = ['urn:tessera:acr:pwd', 'urn:tessera:acr:mfa', 'urn:tessera:acr:phr'];

/** True when `have` reaches `wanted` (Tessera's levels are ordered; other values match exactly). */
export function acrSatisfies(have: string, wanted: string): boolean {
  if (have === wanted) {
    return true;
  }
  const haveLevel = TESSERA_LEVELS.indexOf(have);
  const wantedLevel = TESSERA_LEVELS.indexOf(wanted);
  return haveLevel >= 0 && wantedLevel >= 0 && haveLevel >= wantedLevel;
}

/**
 * Throws `insufficient_user_authentication` (401, RFC 9470 §3) unless the token's sign-in reaches
 * one of `needs.acr` and is no older than `needs.maxAge` at `now` (seconds; default the clock).
 *
 * @example
 * ```ts
 * const token = await verifier.verify(request, { scope: 'cookies:eat' });
 * requireAuthentication(token, { acr: 'urn:tessera:acr:phr' });
 * ```
 */
export function requireAuthentication(
  token: Pick<VerifiedToken, 'claims'>,
  needs: AuthenticationRequirement,
  now: number = Math.floor(Date.now() / 1000),
): void {
  const wanted = needs.acr === undefined ? [] : typeof needs.acr === 'string' ? [needs.acr] : [...needs.acr];
  const acr = token.claims.acr;
  const authTime = token.claims.auth_time;
  const challenge = {
    ...(wanted.length === 0 ? {} : { acrValues: wanted.join(' ') }),
    ...(needs.maxAge === undefined ? {} : { maxAge: needs.maxAge }),
  };
  if (wanted.length > 0 && (typeof acr !== 'string' || !wanted.some((w) => acrSatisfies(acr, w)))) {
    throw OAuthError.insufficientUserAuthentication(
      'A different authentication level is required',
      challenge,
    );
  }
  if (needs.maxAge !== undefined && (typeof authTime !== 'number' || now - authTime > needs.maxAge)) {
    throw OAuthError.insufficientUserAuthentication('More recent authentication is required', challenge);
  }
}
