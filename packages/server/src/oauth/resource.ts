/**
 * Resource indicators (RFC 8707): each `resource` parameter (the one token-request parameter that may
 * repeat, §2) names an audience for the token. It must be an absolute URI without a fragment (§2)
 * and one of the client's registered audiences; otherwise `invalid_target` (§2).
 *
 * When no `resource` is sent, the token is for the client's first registered audience (its
 * default). A client with no registered audience gets a token whose `aud` is the issuer itself
 * (RFC 9068 §2.2 requires an `aud`): good for introspection at Tessera, useless at any API.
 */
import { OAuthError } from '@tessera/protocol';
import type { ClientRecord } from '../store/ports.js';
import { audiencesOutside, isResourceUri } from '../tokens/audience.js';

/** The audience of the token (never empty), or `invalid_target`. */
export function resolveAudience(
  client: Pick<ClientRecord, 'audiences'>,
  resources: readonly string[],
  issuer: string,
): string[] {
  if (resources.length === 0) {
    const first = client.audiences[0];
    return [first ?? issuer];
  }
  const out: string[] = [];
  for (const resource of resources) {
    if (!isResourceUri(resource)) {
      throw OAuthError.invalidTarget('resource must be an absolute URI without a fragment (RFC 8707 §2)');
    }
    if (audiencesOutside([resource], client.audiences).length > 0) {
      throw OAuthError.invalidTarget('The requested resource is not allowed for this client');
    }
    if (!out.includes(resource)) {
      out.push(resource);
    }
  }
  return out;
}
