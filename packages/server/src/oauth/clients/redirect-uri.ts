/**
 * Which redirect URIs a client may register (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §4.1): the
 * authorization endpoint then matches them exactly, so what is stored must be safe as is.
 */

import { findNonPublicHostProblem } from './public-address.js';

/** RFC 8252 §7.3: loopback redirects use the IP literal; `localhost` is NOT RECOMMENDED (§8.3). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);

const MAX_URI_LENGTH = 2000;

export interface RedirectUriRules {
  /** In --dev, `http://localhost` is accepted too. */
  dev: boolean;
}

function parseAbsolute(uri: string): URL | string {
  if (uri.length === 0 || uri.length > MAX_URI_LENGTH) {
    return `must be 1 to ${MAX_URI_LENGTH} characters`;
  }
  // Stored strings are compared byte for byte later, so refuse anything a parser would rewrite.
  if (!/^[\x21-\x7E]+$/.test(uri)) {
    return 'must be printable ASCII without spaces';
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  // RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component."
  if (uri.includes('#')) {
    return 'must not contain a fragment (#)';
  }
  if (url.username !== '' || url.password !== '') {
    return 'must not contain credentials';
  }
  // RFC 9700 §4.1.3: exact matching only; a wildcard would be a pattern.
  if (uri.includes('*')) {
    return 'must not contain a wildcard (*): redirect URIs are matched exactly';
  }
  return url;
}

function isLoopback(url: URL, rules: RedirectUriRules): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || (rules.dev && url.hostname === 'localhost');
}

/**
 * Returns why `uri` cannot be a redirect URI, or undefined when it can: an https URI, a loopback
 * http URI (RFC 8252 §7.3), or a private-use scheme in reverse-domain form (RFC 8252 §7.1), e.g.
 * `com.example.app:/callback`.
 */
export function findRedirectUriProblem(uri: string, rules: RedirectUriRules): string | undefined {
  const url = parseAbsolute(uri);
  if (typeof url === 'string') {
    return url;
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https') {
    return url.hostname === '' ? 'must name a host' : undefined;
  }
  if (scheme === 'http') {
    return isLoopback(url, rules)
      ? undefined
      : `may use http only on a loopback address (127.0.0.1 or [::1]${rules.dev ? ' or localhost' : ''}) per RFC 8252 section 7.3; use https`;
  }
  // RFC 8252 §7.1: a private-use scheme is a reverse domain name the app controls, so it has a dot.
  if (!scheme.includes('.')) {
    return 'must be https, loopback http, or a private-use scheme in reverse-domain form such as com.example.app:/callback (RFC 8252 section 7.1)';
  }
  return undefined;
}

export interface JwksUriRules extends RedirectUriRules {
  /** `clients.allowPrivateJwksUri`: loopback, private and other non-public hosts are allowed. */
  allowPrivateJwksUri?: boolean;
}

/**
 * Returns why `uri` cannot be fetched for keys (a `jwks_uri`), or undefined when it can: https,
 * or loopback http in --dev; and a public host unless `clients.allowPrivateJwksUri` (the fetch
 * checks the resolved addresses again, see public-address.ts).
 */
export function findJwksUriProblem(uri: string, rules: JwksUriRules): string | undefined {
  const url = parseAbsolute(uri);
  if (typeof url === 'string') {
    return url;
  }
  const schemeOk =
    (url.protocol === 'https:' && url.hostname !== '') ||
    (url.protocol === 'http:' && rules.dev && isLoopback(url, rules));
  if (!schemeOk) {
    return rules.dev ? 'must be an https URL (or loopback http in --dev)' : 'must be an https URL';
  }
  if (rules.allowPrivateJwksUri !== true) {
    const problem = findNonPublicHostProblem(url.hostname);
    if (problem !== undefined) {
      return `${problem}; a URL this server fetches must be on a public host (set clients.allowPrivateJwksUri to allow)`;
    }
  }
  return undefined;
}
