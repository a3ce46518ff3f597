/**
 * `POST /device_authorization` (RFC 8628 §3.1–3.2): per-IP limit → form only → no repeated
 * parameters (except RFC 8707 `resource`) → client authentication as at `/token` (a public client
 * sends only `client_id`) → the device flow starts the request (grant registered for the client,
 * scope and resource within what it may have) → the §3.2 JSON with `Cache-Control: no-store`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticateClient } from '../../oauth/client-auth/index.js';
import type { DeviceFlow } from '../../oauth/device/device-flow.js';
import { formOf, single } from '../plugins/form-body.js';
import { authenticateRequest, type OAuthPostRoute, refuseRepeatedParams } from '../plugins/oauth-post.js';
import type { RateLimiter } from '../plugins/rate-limit.js';

export interface DeviceAuthorizationRouteDeps {
  issuer: string;
  authenticate: AuthenticateClient;
  flow: DeviceFlow;
  limits: { perIp: RateLimiter; perClient: RateLimiter };
}

export function deviceAuthorizationRoute(deps: DeviceAuthorizationRouteDeps): OAuthPostRoute {
  // Client assertions name the token endpoint or the issuer as audience (RFC 7523 §3).
  const endpoint = `${deps.issuer}/token`;
  return {
    url: '/device_authorization',
    onRequest: (request, reply) => deps.limits.perIp.consume(request.ip, reply),
    async handler(request: FastifyRequest, reply: FastifyReply) {
      const body = formOf(request);
      refuseRepeatedParams(body, ['resource']);
      const { client } = await authenticateRequest(request, deps.authenticate, body, endpoint);
      deps.limits.perClient.consume(client.id, reply);
      const raw = body.resource;
      const resources = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).filter((v) => v !== '');
      const userAgent = request.headers['user-agent'];
      const response = await deps.flow.start({
        client,
        scope: single(body, 'scope'),
        resources,
        deviceInfo: typeof userAgent === 'string' ? userAgent : null,
        requestId: request.id,
      });
      return reply.code(200).type('application/json; charset=utf-8').send(response);
    },
  };
}
