/**
 * Scope (RFC 6749 §3.3): a space-delimited list of case-sensitive tokens whose order does not
 * matter. The one parser and the one syntax and subset checks used by the server (requests, API
 * keys, client metadata), the verifier (`requireScope`) and the client.
 */

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Scope string (RFC 6749 §3.3) to a list, without empties or duplicates.
 *
 * @example
 * ```ts
 * parseScope('read  write read'); // ['read', 'write']
 * parseScope(undefined); // []
 * ```
 */
export function parseScope(scope: string | undefined): string[] {
  if (scope === undefined) {
    return [];
  }
  return [...new Set(scope.split(' ').filter((s) => s.length > 0))];
}

/**
 * True when `token` is one scope token of RFC 6749 §3.3: printable ASCII without space, `"` or `\`.
 *
 * @example
 * ```ts
 * isScopeToken('cookies:eat'); // true
 * isScopeToken('say"hi'); // false
 * ```
 */
export function isScopeToken(token: string): boolean {
  return SCOPE_TOKEN.test(token);
}

/**
 * The scopes of `wanted` that `granted` does not include, in `wanted`'s order: empty when `wanted`
 * is a subset (RFC 6749 §3.3 and §6: a request may not exceed what may be granted; RFC 6750 §3.1:
 * a token must hold every scope a resource needs).
 *
 * @example
 * ```ts
 * missingScopes(['read', 'admin'], ['read', 'write']); // ['admin']
 * ```
 */
export function missingScopes(wanted: readonly string[], granted: readonly string[]): string[] {
  const have = new Set(granted);
  return wanted.filter((scope) => !have.has(scope));
}
