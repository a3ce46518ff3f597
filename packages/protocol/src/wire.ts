/**
 * Wire types shared by server, verifier and client. Members keep their RFC spelling.
 */

/** RFC 6749 §5.1 successful token response. */
export interface TokenResponse {
  access_token: string;
  /** RFC 9449 §5: `DPoP` when the access token is bound to the proof's key. */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

/** RFC 9068 §2.2 access token claims, plus client metadata claims. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  client_id: string;
  scope: string;
  iat: number;
  exp: number;
  jti: string;
  /** OIDC Core §2 / RFC 9470 §4: the level the person's sign-in reached (a person's token only). */
  acr?: string;
  /** OIDC Core §2 / RFC 9470 §4: when the person last actively signed in (seconds). */
  auth_time?: number;
  /** RFC 8176 §2 methods of that sign-in. */
  amr?: string[];
  [claim: string]: unknown;
}

/** RFC 7662 §2.2 introspection response. */
export interface IntrospectionResponse {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  token_type?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  aud?: string | string[];
  iss?: string;
  jti?: string;
  /** RFC 9470 §4: the token's authentication level and time, for a person's token. */
  acr?: string;
  auth_time?: number;
  amr?: string[];
  [member: string]: unknown;
}

/** What a revocation names, and until when it matters (seconds since the epoch). */
export type RevocationTarget =
  | { type: 'jti'; value: string }
  | { type: 'token'; value: string }
  | { type: 'family'; value: string }
  | { type: 'session'; value: string }
  /** A person's consent to a client: every token of that client for that subject (`client_id sub`). */
  | { type: 'consent'; value: string }
  | { type: 'client'; value: string }
  | { type: 'subject'; value: string }
  | { type: 'api_key'; value: string }
  /** A pulled signing key: every token its `kid` signed, whenever issued. */
  | { type: 'key'; value: string }
  /**
   * OpenID CAEP 1.0 `assurance-level-change` for a session (`sid acr`, see
   * {@link assuranceTargetValue}): its tokens issued at or before `revokedAt` whose `acr` is below
   * `acr` are refused with a step-up challenge (RFC 9470 §3), not revoked outright.
   */
  | { type: 'assurance'; value: string };

/**
 * The value of a `consent` revocation target: the client id and the subject, space-separated (ids
 * never contain spaces).
 *
 * @example
 * ```ts
 * consentTargetValue('cli_abc', 'usr_xyz'); // 'cli_abc usr_xyz'
 * ```
 */
export function consentTargetValue(clientId: string, subject: string): string {
  return `${clientId} ${subject}`;
}

/**
 * The value of an `assurance` target: the session id and the `acr` it must now reach,
 * space-separated (ids and Tessera's `acr` values never contain spaces).
 *
 * @example
 * ```ts
 * assuranceTargetValue('ses_abc', 'urn:tessera:acr:mfa'); // 'ses_abc urn:tessera:acr:mfa'
 * ```
 */
export function assuranceTargetValue(sessionId: string, acr: string): string {
  return `${sessionId} ${acr}`;
}

/** One revocation as published on the bus and the revocation stream. */
export interface RevocationEvent {
  /** Monotonic per server store; the SSE event id. */
  id: number;
  target: RevocationTarget;
  /** Tokens issued at or before this time (seconds) are revoked. */
  revokedAt: number;
  /** After this time (seconds) no token the revocation names can be valid any more. */
  expiresAt: number;
}
