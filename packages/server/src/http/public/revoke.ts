/**
 * `POST /revoke` (RFC 7009 §2): the client authenticates (§2.1; a public client identifies itself
 * with `client_id`), sends `token` and optionally `token_type_hint`, which is only a hint: every
 * kind is searched (§2.1). The answer is 200 with an empty body when the token was revoked or was
 * unknown or invalid (§2.2). A token issued to another client is refused with 400
 * `unauthorized_client` (§2.1: "verifies whether the token was issued to the client making the
 * revocation request. If this validation fails, the request is refused", §2.2.1) and left untouched.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticateClient } from '../../oauth/client-auth/index.js';
import { type Revoker, revokeToken } from '../../oauth/revocation.js';
import { formOf, single } from '../plugins/form-body.js';
import { authenticateRequest, type OAuthPostRoute, refuseRepeatedParams } from '../plugins/oauth-post.js';
import type { CallerLimit } from '../plugins/rate-limit.js';

export interface RevokeRouteDeps {
  issuer: string;
  authenticate: AuthenticateClient;
  revokers: readonly Revoker[];
  /** Per caller: the authenticated client, else the address. */
  limit: CallerLimit;
}

export function revokeRoute(deps: RevokeRouteDeps): OAuthPostRoute {
  const endpoint = `${deps.issuer}/revoke`;
  return {
    url: '/revoke',
    onRequest: (request, reply) => deps.limit.screen(request, reply),
    async handler(request: FastifyRequest, reply: FastifyReply) {
      const body = formOf(request);
      const { client } = await deps.limit.identify(
        request,
        reply,
        () => {
          refuseRepeatedParams(body);
          return authenticateRequest(request, deps.authenticate, body, endpoint);
        },
        (authenticated) => authenticated.client.id,
      );
      const token = single(body, 'token');
      if (token === undefined) {
        throw OAuthError.invalidRequest('token is required');
      }
      const outcome = await revokeToken(token, { kind: 'client', client }, deps.revokers);
      if (outcome === 'not_owner') {
        throw OAuthError.unauthorizedClient('The token was not issued to this client');
      }
      return reply.code(200).send();
    },
  };
}
