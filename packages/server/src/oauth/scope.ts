/**
 * Scope (RFC 6749 §3.3): what a client asks for must be a subset of what it may have; asking for
 * nothing gets the client's default scope, or all it may have when no default is set. The granted
 * scope is always returned in the token response (§5.1), even when it equals the request.
 */
import { isScopeToken, missingScopes, OAuthError, parseScope } from '@tessera/protocol';
import type { ClientRecord } from '../store/ports.js';

/** What a client gets when it asks for no scope: its default scope, or all it may have. */
export function defaultScopeOf(client: Pick<ClientRecord, 'scope' | 'defaultScope'>): string[] {
  return client.defaultScope.length > 0 ? [...client.defaultScope] : [...client.scope];
}

/** The scope to grant, or `invalid_scope` (RFC 6749 §5.2). */
export function resolveScope(
  client: Pick<ClientRecord, 'scope' | 'defaultScope'>,
  requested: string | undefined,
): string[] {
  const tokens = parseScope(requested);
  if (tokens.length === 0) {
    return defaultScopeOf(client);
  }
  if (!tokens.every(isScopeToken)) {
    throw OAuthError.invalidScope('The scope parameter is malformed (RFC 6749 §3.3)');
  }
  const unknown = missingScopes(tokens, client.scope);
  if (unknown.length > 0) {
    throw OAuthError.invalidScope(`Scope not allowed for this client: ${unknown.join(' ')}`);
  }
  return tokens;
}
