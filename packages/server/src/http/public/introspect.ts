/**
 * `POST /introspect` (RFC 7662 §2): the caller authenticates as a confidential client (§2.1), sends
 * `token` and optionally `token_type_hint` (a hint only: every kind is tried, §2.1). The answer is
 * `{"active": false}` for anything not currently valid, else the token's claims (§2.2).
 */

import type { Span } from '@opentelemetry/api';
import { type IntrospectionResponse, OAuthError } from '@tessera/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticateClient, AuthenticatedClient } from '../../oauth/client-auth/index.js';
import { type Introspector, introspectToken } from '../../oauth/introspection.js';
import type { ClientRecord } from '../../store/ports.js';
import { inEndpointSpanMaybeAsync } from '../../tracing.js';
import { type FormBody, formOf, single } from '../plugins/form-body.js';
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

/** RFC 7662 §2.1: introspection requires authorization; a public client has no credential. */
function confidential(authenticated: AuthenticatedClient): AuthenticatedClient {
  if (authenticated.method === 'none') {
    throw OAuthError.invalidClient('Introspection requires client authentication');
  }
  return authenticated;
}

export function introspectRoute(deps: IntrospectRouteDeps): OAuthPostRoute {
  const endpoint = `${deps.issuer}/introspect`;
  const bodyOf = createBodies();

  /** The caller (repeated parameters refused first), a promise only when its client is loaded. */
  function identifyCaller(request: FastifyRequest, body: FormBody) {
    refuseRepeatedParams(body);
    const authenticated = authenticateRequest(request, deps.authenticate, body, endpoint);
    return authenticated instanceof Promise ? authenticated.then(confidential) : confidential(authenticated);
  }

  function answer(reply: FastifyReply, span: Span, client: ClientRecord, body: FormBody) {
    const token = single(body, 'token');
    if (token === undefined) {
      throw OAuthError.invalidRequest('token is required');
    }
    span.setAttribute('oauth.client_id', client.id);
    // API keys: the resource server may say where the key came from (its anomaly policy).
    const context = keyUseContextOf(body);
    const response = introspectToken(token, client, deps.introspectors, context);
    return response instanceof Promise
      ? response.then((known) => send(reply, span, known))
      : send(reply, span, response);
  }

  function send(reply: FastifyReply, span: Span, response: IntrospectionResponse): FastifyReply {
    span.setAttribute('oauth.token.active', response.active);
    return reply.code(200).type('application/json; charset=utf-8').send(bodyOf(response));
  }

  return {
    url: '/introspect',
    onRequest: (request, reply) => deps.limit.screen(request, reply),
    // Not async: with the caller's client and the token in memory (a resource server asking again)
    // the answer is sent without a promise; each step hands on a promise only when it has to wait (a
    // client load, a first signature check, a row read). A refusal is thrown (Fastify answers it as
    // from an async handler) or rejected.
    handler(request: FastifyRequest, reply: FastifyReply) {
      const sent = inEndpointSpanMaybeAsync('/introspect', (span) => {
        const body = formOf(request);
        const caller = deps.limit.identify(
          request,
          reply,
          () => identifyCaller(request, body),
          (authenticated) => authenticated.client.id,
        );
        return caller instanceof Promise
          ? caller.then(({ client }) => answer(reply, span, client, body))
          : answer(reply, span, caller.client, body);
      });
      // Fastify sends what a handler returns: a sent reply is not handed back, a promise is.
      return sent instanceof Promise ? sent : undefined;
    },
  };
}
