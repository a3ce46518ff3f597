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
  /**
   * An API key (its id) was disabled, enabled, updated or rotated: revokes nothing, but a verifier
   * forgets every answer it cached for the key, so its next use is asked at Tessera and gets the
   * key's current state. A verifier that does not know the type ignores it.
   */
  | { type: 'api_key_changed'; value: string }
  /** A pulled signing key: every token its `kid` signed, whenever issued. */
  | { type: 'key'; value: string }
  /**
   * OpenID CAEP 1.0 `assurance-level-change` for a session (`sid acr`, see
   * {@link assuranceTargetValue}): its tokens issued at or before `revokedAt` whose `acr` is below
   * `acr` are refused with a step-up challenge (RFC 9470 §3), not revoked outright.
   */
  | { type: 'assurance'; value: string }
  /**
   * OpenID CAEP 1.0 §3.3 `credential-change` of a subject (`sub change_type credential_type`, see
   * {@link credentialChangeTargetValue}): revokes nothing by itself; each verifier's policy decides
   * what a token of that subject from a sign-in at or before `revokedAt` still gets.
   */
  | { type: 'credential'; value: string };

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

/** OpenID CAEP 1.0 §3.3.1 `change_type`. */
export type CredentialChangeType = 'create' | 'revoke' | 'update' | 'delete';

/**
 * OpenID CAEP 1.0 §3.3.1 `credential_type` values Tessera sends: `password`, `fido2-platform`,
 * `fido2-roaming` (a passkey) and `app` (a TOTP authenticator) from CAEP's list, plus its own
 * `recovery-code`, `client-secret` and `api-key`.
 */
export type CredentialType =
  | 'password'
  | 'fido2-platform'
  | 'fido2-roaming'
  | 'app'
  | 'recovery-code'
  | 'client-secret'
  | 'api-key';

/** One credential change, as a `credential` revocation target carries it. */
export interface CredentialChange {
  /** The `sub` whose credential changed: a person, or a client (its secret), or a key's owner. */
  subject: string;
  changeType: CredentialChangeType;
  credentialType: CredentialType;
}

const CHANGE_TYPES: ReadonlySet<string> = new Set(['create', 'revoke', 'update', 'delete']);
const CREDENTIAL_TYPES: ReadonlySet<string> = new Set([
  'password',
  'fido2-platform',
  'fido2-roaming',
  'app',
  'recovery-code',
  'client-secret',
  'api-key',
]);

/**
 * The value of a `credential` target: subject, change type and credential type, space-separated.
 *
 * @example
 * ```ts
 * credentialChangeTargetValue({ subject: 'usr_1', changeType: 'update', credentialType: 'password' });
 * // 'usr_1 update password'
 * ```
 */
export function credentialChangeTargetValue(change: CredentialChange): string {
  return `${change.subject} ${change.changeType} ${change.credentialType}`;
}

/**
 * Reads a `credential` target's value; undefined when it is not three known space-separated parts.
 *
 * @example
 * ```ts
 * parseCredentialChange('usr_1 delete app'); // { subject: 'usr_1', changeType: 'delete', credentialType: 'app' }
 * ```
 */
export function parseCredentialChange(value: string): CredentialChange | undefined {
  const [subject, changeType, credentialType, extra] = value.split(' ');
  if (
    subject === undefined ||
    subject === '' ||
    extra !== undefined ||
    changeType === undefined ||
    !CHANGE_TYPES.has(changeType) ||
    credentialType === undefined ||
    !CREDENTIAL_TYPES.has(credentialType)
  ) {
    return undefined;
  }
  return {
    subject,
    changeType: changeType as CredentialChangeType,
    credentialType: credentialType as CredentialType,
  };
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
