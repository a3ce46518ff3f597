/**
 * `/.well-known/oauth-authorization-server` (RFC 8414 §3) and `/.well-known/openid-configuration`
 * (OpenID Connect Discovery 1.0 §4). The documents are computed once the app is ready, when every
 * feature has declared its capabilities.
 */
import type { FastifyInstance } from 'fastify';
import {
  buildAuthorizationServerMetadata,
  buildOpenIdConfiguration,
  type Capabilities,
} from '../../oauth/discovery.js';

export function registerDiscovery(app: FastifyInstance, issuer: string, caps: Capabilities): void {
  let oauth: string | undefined;
  let openid: string | undefined;
  const send = (body: () => string) => async (_request: unknown, reply: import('fastify').FastifyReply) => {
    reply.header('cache-control', 'public, max-age=300');
    reply.header('access-control-allow-origin', '*');
    reply.type('application/json; charset=utf-8');
    return body();
  };
  app.get(
    '/.well-known/oauth-authorization-server',
    send(() => {
      oauth ??= JSON.stringify(buildAuthorizationServerMetadata(issuer, caps));
      return oauth;
    }),
  );
  app.get(
    '/.well-known/openid-configuration',
    send(() => {
      openid ??= JSON.stringify(buildOpenIdConfiguration(issuer, caps));
      return openid;
    }),
  );
}
