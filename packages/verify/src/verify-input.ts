/**
 * What `verifier.verify` accepts, and how the token is taken out of it: a header string is parsed
 * as an `Authorization` value, a web `Request` or a {@link RequestView} goes through the token
 * sources in force (RFC 6750 §2.1–2.3, and the API key header).
 */
import {
  type ExtractedToken,
  extractToken,
  parseAuthorization,
  type RequestView,
  requestViewOf,
  type TokenSourceOptions,
} from './bearer.js';
import type { DpopRequest } from './dpop.js';

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
    return tokenOfHeader(input);
  }
  if (input === undefined) {
    return undefined;
  }
  return extractToken(isWebRequest(input) ? requestViewOf(input) : input, sources);
}

/**
 * The token of an `Authorization` header value, synchronously (what {@link extractFromInput} does
 * with a string).
 *
 * @example
 * ```ts
 * tokenOfHeader('DPoP abc'); // { source: 'header', token: 'abc', scheme: 'dpop' }
 * ```
 */
export function tokenOfHeader(value: string): ExtractedToken | undefined {
  const found = parseAuthorization(value);
  return found === undefined ? undefined : { source: 'header', ...found };
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

/**
 * What a DPoP check reads of an input: the `DPoP` header, the method and the URL. A bare header
 * string carries no proof.
 *
 * @example
 * ```ts
 * dpopRequestOf(request); // { proof: 'eyJ…', method: 'GET', url: 'https://api.example/cookies' }
 * ```
 */
export function dpopRequestOf(input: VerifyInput): DpopRequest {
  if (typeof input === 'string' || input === undefined) {
    return { proof: undefined, method: 'GET', url: undefined };
  }
  if (isWebRequest(input)) {
    return { proof: input.headers.get('dpop') ?? undefined, method: input.method, url: input.url };
  }
  return { proof: input.header('dpop'), method: input.method ?? 'GET', url: input.url };
}

function isWebRequest(value: unknown): value is Request {
  return typeof Request !== 'undefined' && value instanceof Request;
}
