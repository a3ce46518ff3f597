/**
 * Transport options shared by every request the client makes through oauth4webapi: an optional
 * custom `fetch`, and plain HTTP only for a loopback issuer (local development).
 */
import * as oauth from 'oauth4webapi';
import { TesseraClientError } from './client-error.js';

/**
 * A web `fetch`-compatible function.
 *
 * @example
 * ```ts
 * const logged: FetchLike = (input, init) => { console.log(String(input)); return fetch(input, init); };
 * ```
 */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * True for `http://localhost`, `http://127.0.0.1` and `http://[::1]` (any port): the only issuers
 * the client talks plain HTTP to, for development on one machine.
 *
 * @example
 * ```ts
 * isLoopbackHttp(new URL('http://127.0.0.1:4000')); // true
 * isLoopbackHttp(new URL('http://auth.example')); // false
 * ```
 */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * Parses an issuer identifier and refuses plain HTTP except on loopback (RFC 8414 §2: the issuer
 * is an https URL; OAuth 2.1 §1.5: TLS is required).
 *
 * @example
 * ```ts
 * const issuer = parseIssuer('https://auth.example');
 * ```
 */
export function parseIssuer(issuer: string): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch (error) {
    throw new TesseraClientError('discovery_failed', 'The issuer is not a valid URL', { cause: error });
  }
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
    throw new TesseraClientError(
      'discovery_failed',
      'The issuer must be an https URL (plain http is allowed only for localhost and 127.0.0.1)',
    );
  }
  return url;
}

/**
 * oauth4webapi request options for this issuer.
 *
 * @example
 * ```ts
 * const options: HttpOptions = httpOptionsFor(issuer, undefined);
 * ```
 */
export interface HttpOptions {
  [oauth.customFetch]?: (
    url: string,
    options: oauth.CustomFetchOptions<string, unknown>,
  ) => Promise<Response>;
  [oauth.allowInsecureRequests]?: boolean;
}

/**
 * Builds the oauth4webapi transport options for an issuer.
 *
 * @example
 * ```ts
 * const options = httpOptionsFor(new URL('http://127.0.0.1:4000'), fetch);
 * await oauth.discoveryRequest(issuer, options);
 * ```
 */
export function httpOptionsFor(issuer: URL, fetchImpl: FetchLike | undefined): HttpOptions {
  const options: HttpOptions = {};
  if (fetchImpl !== undefined) {
    options[oauth.customFetch] = (url, init) => fetchImpl(url, init as RequestInit);
  }
  if (isLoopbackHttp(issuer)) {
    // Development only: a loopback issuer never leaves the machine.
    options[oauth.allowInsecureRequests] = true;
  }
  return options;
}
