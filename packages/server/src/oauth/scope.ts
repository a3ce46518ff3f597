/**
 * Scope (RFC 6749 §3.3): what a client asks for must be a subset of what it may have; asking for
 * nothing gets the client's default scope, or all it may have when no default is set. The granted
 * scope is always returned in the token response (§5.1), even when it equals the request.
 */
import { OAuthError, parseScope } from '@tessera/protocol';
import type { ClientRecord } from '../store/ports.js';

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** The scope to grant, or `invalid_scope` (RFC 6749 §5.2). */
export function resolveScope(
  client: Pick<ClientRecord, 'scope' | 'defaultScope'>,
  requested: string | undefined,
): string[] {
  if (requested === undefined) {
    return client.defaultScope.length > 0 ? [...client.defaultScope] : [...client.scope];
  }
  const tokens = parseScope(requested);
  if (tokens.length === 0) {
    return client.defaultScope.length > 0 ? [...client.defaultScope] : [...client.scope];
  }
  for (const token of tokens) {
    if (!SCOPE_TOKEN.test(token)) {
      throw OAuthError.invalidScope('The scope parameter is malformed (RFC 6749 §3.3)');
    }
  }
  const allowed = new Set(client.scope);
  const unknown = tokens.filter((token) => !allowed.has(token));
  if (unknown.length > 0) {
    throw OAuthError.invalidScope(`Scope not allowed for this client: ${unknown.join(' ')}`);
  }
  return tokens;
}
