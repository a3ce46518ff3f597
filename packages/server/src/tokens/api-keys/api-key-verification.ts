/**
 * The wire answer of an API-key verification (`POST /api-keys/verify`), the one meaning shared by the
 * endpoint, introspection and `@tessera/verify`. Members are snake_case on the wire.
 *
 * - valid: every member is present (`rate_limit` is null for a key without a limit);
 * - `not_found`: only `valid` and `code`, the same for a malformed, forged or never-issued key, so
 *   the answer never tells whether a key existed;
 * - `expired`, `revoked`, `disabled`: also `key_id` and `owner` (the caller holds the real key);
 * - `rate_limited`: every member, with `rate_limit.remaining` 0;
 * - `anomaly`: the key's `deny` policy refused this use (`key_id`, `owner`, `anomalies`); a key
 *   its `disable` policy disabled answers `disabled` with `anomalies`.
 */

export type ApiKeyRejectionCode =
  | 'not_found'
  | 'expired'
  | 'revoked'
  | 'disabled'
  | 'rate_limited'
  | 'anomaly';

export interface ApiKeyRateLimitState {
  limit: number;
  remaining: number;
  /** Seconds until the count allows another request (RateLimit `t`, Retry-After). */
  reset: number;
  /** Window length in seconds. */
  window: number;
  kind: 'fixed' | 'sliding';
}

export interface ApiKeyVerification {
  valid: boolean;
  code?: ApiKeyRejectionCode;
  key_id?: string;
  owner?: string;
  name?: string;
  /** Space-separated, as in RFC 6749 §3.3. */
  scope?: string;
  /** RFC 8707 resources the key may be used at; empty means any. */
  audiences?: string[];
  meta?: Record<string, unknown>;
  /** Seconds since the epoch, or null for a key that does not expire. */
  expires_at?: number | null;
  rate_limit?: ApiKeyRateLimitState | null;
  /** RFC 9449: a bound key; the caller must accept it only with a DPoP proof by this key. */
  cnf?: { jkt: string };
  /** The anomalies of this use (docs/api-keys.md, "Anomalies"), when there were any. */
  anomalies?: string[];
}

export const KEY_NOT_FOUND: Readonly<ApiKeyVerification> = Object.freeze({ valid: false, code: 'not_found' });

/**
 * Answers the key service hands out more than once (the valid answer of a key without a rate limit
 * is built once per cached record): nothing may change them, and a caller may serialise one once.
 * Not frozen: V8 handles a frozen answer more slowly on the way out of an `async` function.
 */
const sharedAnswers = new WeakSet<ApiKeyVerification>();

export function shareAnswer(answer: ApiKeyVerification): ApiKeyVerification {
  sharedAnswers.add(answer);
  return answer;
}

/** True for an answer the service reuses (see {@link shareAnswer}). */
export function isSharedAnswer(answer: ApiKeyVerification): boolean {
  return sharedAnswers.has(answer);
}
