/** What a successful verification returns, and what the caches and the denylist know of it. */
import type { TokenSource } from './bearer.js';

/**
 * A verified credential.
 *
 * @example
 * ```ts
 * const token: VerifiedToken = await verifier.verify('Bearer eyJ…');
 * token.scope.includes('cookies:read');
 * ```
 */
export interface VerifiedToken {
  /** `jwt` (verified locally), `opaque` (`tsr_at_…`, introspected) or `api_key` (`tsr_key_…`). */
  tokenType: 'jwt' | 'opaque' | 'api_key';
  /** `sub`: the user, or the client itself for client credentials; for API keys, the key's owner. */
  subject: string;
  /** `client_id` (RFC 9068 §2.2); empty for an API key without one. */
  clientId: string;
  /** Granted scopes (RFC 6749 §3.3). */
  scope: readonly string[];
  /** The JWT claims set, or the RFC 7662 introspection response. */
  claims: Readonly<Record<string, unknown>>;
  /** `exp` in seconds, or undefined for an API key that never expires. */
  expiresAt: number | undefined;
  /** Where the request carried the token. */
  source: TokenSource;
}

/** A cached verification: the result plus what revocations are matched against. */
export interface TokenFacts {
  /** SHA-256 (base64url) of the token: the cache key and a `token` revocation's value. */
  hash: string;
  result: Omit<VerifiedToken, 'source'>;
  jti: string | undefined;
  /** API keys: the key id (`key_…`) an `api_key` revocation names. */
  keyId: string | undefined;
  /** Refresh-token family or grant the token came from, when the server says so. */
  grantId: string | undefined;
  /** The login session (`sid`) the token was issued under, when the server says so. */
  sessionId?: string | undefined;
  /** JWTs: the `kid` of the signing key, which a `key` revocation (a pulled key) names. */
  signingKeyId?: string | undefined;
  /** RFC 9449 §6: the DPoP key thumbprint (`cnf.jkt`) the token is bound to, if it is. */
  jkt?: string | undefined;
  /** `iat` in seconds; client, subject and family revocations cover tokens issued at or before. */
  issuedAt: number | undefined;
  /**
   * Introspection answers: how many `api_key_changed` events the verifier had received when it
   * asked. An answer asked for before such an event may predate the change, so it is not cached.
   */
  changeMark?: number | undefined;
  /** The cache entry's end (seconds): the token's `exp`, or sooner for introspection results. */
  cacheUntil: number;
  /** The frozen result per source, built once, so a cache hit allocates nothing. */
  views: Partial<Record<TokenSource, VerifiedToken>>;
}
