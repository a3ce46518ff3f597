/**
 * `POST /token` (RFC 6749 §3.2), as a checklist of named steps (after node-oidc-provider):
 * per-IP limit → form only → no repeated parameters (except RFC 8707 `resource`) → `grant_type`
 * present (`invalid_request`) and known (`unsupported_grant_type`) → client authentication
 * (`invalid_client`) → per-client limit → grant allowed for the client (`unauthorized_client`) →
 * the DPoP proof, when there is one or the client requires one (RFC 9449 §5: `invalid_dpop_proof`,
 * `use_dpop_nonce`) → the grant from the registry. Success is the RFC 6749 §5.1 JSON with
 * `Cache-Control: no-store`.
 */
import type { Span } from '@opentelemetry/api';
import { OAuthError } from '@tessera/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticateClient } from '../../oauth/client-auth/index.js';
import type { DpopProofValidator } from '../../oauth/dpop/proof-validator.js';
import type { Grant, GrantRegistry } from '../../oauth/grants/index.js';
import type { ClientRecord } from '../../store/ports.js';
import { inEndpointSpan, inSpan } from '../../tracing.js';
import type { FormBody } from '../plugins/form-body.js';
import { formOf, single } from '../plugins/form-body.js';
import { authenticateRequest, type OAuthPostRoute, refuseRepeatedParams } from '../plugins/oauth-post.js';
import type { RateLimiter } from '../plugins/rate-limit.js';

export interface TokenRouteDeps {
  issuer: string;
  authenticate: AuthenticateClient;
  grants: GrantRegistry;
  limits: { perIp: RateLimiter; perClient: RateLimiter; perUnregisteredClient?: RateLimiter };
  dpop: DpopProofValidator;
}

/**
 * RFC 9449 §5: the proof of a token request (its key binds the tokens), refused when bad; absent
 * only when the client does not require one (§5.2 `dpop_bound_access_tokens`). With server nonces
 * on, every answer carries the current `DPoP-Nonce` (§8), errors included, so a client can retry.
 * A request without a `DPoP` header is decided here, without a promise (the validator would answer
 * "no proof" for it); only a proof goes to the validator.
 */
function dpopOf(
  dpop: DpopProofValidator,
  request: FastifyRequest,
  reply: FastifyReply,
  client: ClientRecord,
  endpoint: string,
): Promise<{ jkt: string } | undefined> | undefined {
  if (dpop.nonces !== undefined) {
    reply.header('dpop-nonce', dpop.nonces.current());
  }
  // Node joins a repeated DPoP header with ", ", which the single-header check refuses.
  const header = request.headers.dpop;
  if (header === undefined) {
    if (client.dpopBoundAccessTokens) {
      throw OAuthError.invalidDpopProof('This client must send a DPoP proof (dpop_bound_access_tokens)');
    }
    return undefined;
  }
  return dpop.validate({ header, method: 'POST', url: endpoint }).then((proof) => {
    if (proof === undefined && client.dpopBoundAccessTokens) {
      throw OAuthError.invalidDpopProof('This client must send a DPoP proof (dpop_bound_access_tokens)');
    }
    return proof;
  });
}

function grantOf(grants: GrantRegistry, body: FormBody): Grant {
  const grantType = single(body, 'grant_type');
  if (grantType === undefined) {
    throw OAuthError.invalidRequest('grant_type is required');
  }
  const grant = grants.get(grantType);
  if (grant === undefined) {
    throw OAuthError.unsupportedGrantType('Unsupported grant_type');
  }
  return grant;
}

/** The grant's own parameters, each at most once; RFC 6749 §3.2: others are ignored. */
function paramsOf(grant: Grant, body: FormBody): Record<string, string> {
  const params: Record<string, string> = {};
  for (const name of grant.parameters) {
    if (name === 'resource') {
      continue;
    }
    const value = single(body, name);
    if (value !== undefined) {
      params[name] = value;
    }
  }
  return params;
}

/** RFC 8707 §2: `resource` may repeat; empty values count as absent (RFC 6749 §3.1). */
function resourcesOf(body: FormBody): string[] {
  const value = body.resource;
  const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return values.filter((v) => v.length > 0);
}

export function tokenRoute(deps: TokenRouteDeps): OAuthPostRoute {
  const endpoint = `${deps.issuer}/token`;
  return {
    url: '/token',
    onRequest: (request, reply) => deps.limits.perIp.consume(request.ip, reply),
    handler: (request: FastifyRequest, reply: FastifyReply) =>
      inEndpointSpan('/token', (span) => handleToken(request, reply, span)),
  };

  async function handleToken(request: FastifyRequest, reply: FastifyReply, span: Span) {
    const body = formOf(request);
    refuseRepeatedParams(body, ['resource']);
    const grant = grantOf(deps.grants, body);
    span.setAttribute('oauth.grant_type', grant.grantType);
    // A client in memory is authenticated without a promise: no await (and no microtask) for it.
    const authenticated = authenticateRequest(request, deps.authenticate, body, endpoint);
    const { client } = authenticated instanceof Promise ? await authenticated : authenticated;
    span.setAttribute('oauth.client_id', client.id);
    deps.limits.perClient.consume(client.id, reply);
    if (client.source !== undefined) {
      deps.limits.perUnregisteredClient?.consume(client.id, reply);
    }
    if (!client.grantTypes.includes(grant.grantType)) {
      throw OAuthError.unauthorizedClient(`This client may not use the ${grant.grantType} grant`);
    }
    const proof = dpopOf(deps.dpop, request, reply, client, endpoint);
    const dpop = proof === undefined ? undefined : await proof;
    // One span per grant, so a trace shows which grant's work (and queries) the time went to.
    const response = await inSpan(
      `oauth.grant ${grant.grantType}`,
      { 'oauth.grant_type': grant.grantType },
      () =>
        grant.handle({
          dpop,
          client,
          params: paramsOf(grant, body),
          resources: grant.parameters.includes('resource') ? resourcesOf(body) : [],
          requestId: request.id,
          origin: { ip: request.ip, userAgent: request.headers['user-agent'] },
        }),
    );
    // 200 and `application/json; charset=utf-8` are what Fastify answers an object with by default.
    return reply.send(response);
  }
}
