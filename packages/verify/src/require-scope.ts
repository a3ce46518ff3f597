/** RFC 6750 §3.1 `insufficient_scope`: the token is valid but does not grant what the route needs. */
import { missingScopes, OAuthError } from '@tessera/protocol';
import type { VerifiedToken } from './verified-token.js';

/**
 * Throws `insufficient_scope` (403, with the needed scope in the challenge) unless the token
 * grants every one of `scopes`.
 *
 * @example
 * ```ts
 * const token = await verifier.verify(request);
 * requireScope(token, 'cookies:eat');
 * ```
 */
export function requireScope(
  token: Pick<VerifiedToken, 'scope'>,
  ...scopes: ReadonlyArray<string | readonly string[]>
): void {
  const needed = scopes.flat();
  const missing = missingScopes(needed, token.scope);
  if (missing.length > 0) {
    throw OAuthError.insufficientScope(`The access token lacks the scope ${missing.join(' ')}`, {
      scope: needed.join(' '),
    });
  }
}
