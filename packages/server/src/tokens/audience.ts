/**
 * Audiences (RFC 8707 resource indicators, the `aud` of RFC 9068 §2.2): the one check of what may
 * name a resource, and the one subset check, used by client registration, token requests
 * (oauth/resource.ts, the authorization-code grant) and API keys alike. It lives in tokens/ so that
 * tokens/api-keys can use it without reaching up into oauth/.
 */

const MAX_URI_LENGTH = 2000;

/**
 * Returns why `uri` cannot be a resource indicator, or undefined: "an absolute URI ... MUST NOT
 * include a fragment component" (RFC 8707 §2). The string is kept as given, because it becomes the
 * token's `aud` and verifiers compare it byte for byte.
 */
export function findResourceUriProblem(uri: string): string | undefined {
  if (uri.length === 0 || uri.length > MAX_URI_LENGTH) {
    return `must be 1 to ${MAX_URI_LENGTH} characters`;
  }
  if (!/^[\x21-\x7E]+$/.test(uri)) {
    return 'must be printable ASCII without spaces';
  }
  try {
    new URL(uri);
  } catch {
    return 'must be an absolute URI such as https://api.example.com (RFC 8707 section 2)';
  }
  if (uri.includes('#')) {
    return 'must not contain a fragment (RFC 8707 section 2)';
  }
  return undefined;
}

/** True when `uri` may name a resource (RFC 8707 §2); see {@link findResourceUriProblem}. */
export function isResourceUri(uri: string): boolean {
  return findResourceUriProblem(uri) === undefined;
}

/**
 * The audiences of `wanted` that `allowed` does not include, in order: empty when a request stays
 * within what a client, a grant or a key's owner may have (RFC 8707 §2, §2.2).
 */
export function audiencesOutside(wanted: readonly string[], allowed: readonly string[]): string[] {
  const permitted = new Set(allowed);
  return wanted.filter((uri) => !permitted.has(uri));
}
