/**
 * What `verifier.verify` accepts, and how the token is taken out of it: a header string is parsed
 * as an `Authorization` value, a web `Request` or a {@link RequestView} goes through the token
 * sources in force (RFC 6750 §2.1–2.3, and the API key header).
 */
import {
  type ExtractedToken,
  extractToken,
  parseAuthorizationHeader,
  type RequestView,
  requestViewOf,
  type TokenSourceOptions,
} from './bearer.js';

/**
 * What `verify` accepts: a web `Request`, a {@link RequestView}, or an `Authorization` header value.
 *
 * @example
 * ```ts
 * await verifier.verify(request); // Request
 * await verifier.verify('Bearer eyJ…'); // header value
 * ```
 */
export type VerifyInput = Request | RequestView | string | undefined;

/**
 * The token an input carries, or undefined when it carries none.
 *
 * @example
 * ```ts
 * await extractFromInput('Bearer abc', { body: false, query: false, apiKeyHeader: 'x-api-key' });
 * // { token: 'abc', source: 'header' }
 * ```
 */
export async function extractFromInput(
  input: VerifyInput,
  sources: TokenSourceOptions,
): Promise<ExtractedToken | undefined> {
  if (typeof input === 'string') {
    const token = parseAuthorizationHeader(input);
    return token === undefined ? undefined : { token, source: 'header' };
  }
  if (input === undefined) {
    return undefined;
  }
  return extractToken(isWebRequest(input) ? requestViewOf(input) : input, sources);
}

/**
 * `Bearer <token>` with one space: the shape of every well-behaved client's header.
 *
 * @example
 * ```ts
 * isPlainBearer('Bearer abc'); // true
 * isPlainBearer('Bearer  abc'); // false: parsed in full on the slow path
 * ```
 */
export function isPlainBearer(value: string): boolean {
  return (
    value.length > 7 &&
    value.charCodeAt(6) === 32 &&
    value.charCodeAt(7) !== 32 &&
    (value.startsWith('Bearer') || value.slice(0, 6).toLowerCase() === 'bearer')
  );
}

function isWebRequest(value: unknown): value is Request {
  return typeof Request !== 'undefined' && value instanceof Request;
}
