/**
 * `POST /introspect` (RFC 7662 §2): the caller authenticates as a confidential client (§2.1), sends
 * `token` and optionally `token_type_hint` (a hint only: every kind is tried, §2.1). The answer is
 * `{"active": false}` for anything not currently valid, else the token's claims (§2.2).
 */
import { type IntrospectionResponse, OAuthError } from '@tessera/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticateClient } from '../../oauth/client-auth/index.js';
import { type Introspector, introspectToken } from '../../oauth/introspection.js';
import { inEndpointSpan } from '../../tracing.js';
import { formOf, single } from '../plugins/form-body.js';
import { authenticateRequest, type OAuthPostRoute, refuseRepeatedParams } from '../plugins/oauth-post.js';
import type { CallerLimit } from '../plugins/rate-limit.js';
import { keyUseContextOf } from './key-use-context.js';

export interface IntrospectRouteDeps {
  issuer: string;
  authenticate: AuthenticateClient;
  introspectors: readonly Introspector[];
  /** Per caller: the authenticated client, else the address. */
  limit: CallerLimit;
}

/**
 * The JSON of an answer. A frozen answer (the introspectors' memoized answer to a token seen before)
 * is serialized once; `JSON.stringify` is what Fastify does for a route without a response schema.
 */
function createBodies(): (response: IntrospectionResponse) => string {
  const bodies = new WeakMap<IntrospectionResponse, string>();
  return (response) => {
    if (!Object.isFrozen(response)) {
      return JSON.stringify(response);
    }
    let body = bodies.get(response);
    if (body === undefined) {
      body = JSON.stringify(response);
      bodies.set(response, body);
    }
    return body;
  };
}

export function introspectRoute(deps: IntrospectRouteDeps): OAuthPostRoute {
  const endpoint = `${deps.issuer}/introspect`;
  const bodyOf = createBodies();
  return {
    url: '/introspect',
    onRequest: (request, reply) => deps.limit.screen(request, reply),
    handler: (request: FastifyRequest, reply: FastifyReply) =>
      inEndpointSpan('/introspect', async (span) => {
        const body = formOf(request);
        const { client } = await deps.limit.identify(
          request,
          reply,
          async () => {
            refuseRepeatedParams(body);
            const authenticated = await authenticateRequest(request, deps.authenticate, body, endpoint);
            // RFC 7662 §2.1: introspection requires authorization; a public client has no credential.
            if (authenticated.method === 'none') {
              throw OAuthError.invalidClient('Introspection requires client authentication');
            }
            return authenticated;
          },
          (authenticated) => authenticated.client.id,
        );
        const token = single(body, 'token');
        if (token === undefined) {
          throw OAuthError.invalidRequest('token is required');
        }
        span.setAttribute('oauth.client_id', client.id);
        // API keys: the resource server may say where the key came from (its anomaly policy).
        const context = keyUseContextOf(body);
        const response = await introspectToken(token, client, deps.introspectors, context);
        span.setAttribute('oauth.token.active', response.active);
        return reply.code(200).type('application/json; charset=utf-8').send(bodyOf(response));
      }),
  };
}
