/**
 * `client_secret_post` (RFC 6749 §2.3.1): `client_id` and `client_secret` in the form body. Each must
 * appear once (RFC 6749 §3.2); an empty value counts as absent (§3.1).
 */
import { OAuthError } from '@tessera/protocol';
import type { ClientCredentials } from './client-secret-basic.js';
import { singleParam } from './params.js';

export function parsePostCredentials(body: Record<string, string | string[]>): ClientCredentials {
  const clientId = singleParam(body, 'client_id');
  const secret = singleParam(body, 'client_secret');
  if (clientId === undefined || secret === undefined) {
    throw OAuthError.invalidClient('client_secret_post needs both client_id and client_secret');
  }
  return { clientId, secret };
}
