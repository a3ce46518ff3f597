/**
 * Headers for a successful response. RFC 6750 §2.3: a response to a request that carried the token
 * in the URL SHOULD carry `Cache-Control: private`, so no shared cache stores a page that the URL
 * alone (token included) would fetch again; we do the same for form-body tokens (§2.2).
 */
import type { VerifiedToken } from './verified-token.js';

/**
 * The headers to add to a successful response for this token (often none).
 *
 * @example
 * ```ts
 * for (const [name, value] of Object.entries(successHeadersOf(token))) res.setHeader(name, value);
 * ```
 */
export function successHeadersOf(token: Pick<VerifiedToken, 'source'>): Record<string, string> {
  return token.source === 'query' || token.source === 'body' ? { 'cache-control': 'private' } : {};
}
