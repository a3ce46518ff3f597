/**
 * `GET /authorize` and `POST /authorize` (RFC 6749 §4.1.1, OIDC Core §3.1.2.1 "MUST support GET
 * and POST"): validate the client and redirect URI (errors on a page), then the rest (errors
 * redirected with `state` and `iss`), then continue with the browser's session.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readAuthorizationQuery } from '../../oauth/authorize/parse-request.js';
import {
  resolveClientAndRedirect,
  validateAuthorizationRequest,
} from '../../oauth/authorize/validate-request.js';
import { type LoginFlowDeps, proceed } from './login-flow.js';

export function registerAuthorize(app: FastifyInstance, deps: LoginFlowDeps): void {
  const validation = { findClient: (id: string) => deps.clients.get(id), requirePkce: deps.requirePkce };

  async function handleAuthorize(
    http: FastifyRequest,
    reply: FastifyReply,
    params: unknown,
  ): Promise<FastifyReply> {
    const raw = readAuthorizationQuery(params);
    const resolved = await resolveClientAndRedirect(raw, validation);
    // RFC 6749 §4.1.2.1: from here on, errors go back to the (validated) redirect URI.
    http.authorizeRedirect = { redirectUri: resolved.redirectUri, state: resolved.state };
    const request = validateAuthorizationRequest(raw, resolved, validation);
    const session = await deps.sessions.resolve(deps.cookies.sessionSecret(http));
    return proceed(deps, http, reply, { request, client: resolved.client, session, consentGiven: false });
  }

  app.get('/authorize', { config: { page: true, rateLimit: 'authorize' } }, (request, reply) =>
    handleAuthorize(request, reply, request.query),
  );
  app.post('/authorize', { config: { page: true, rateLimit: 'authorize' } }, (request, reply) =>
    handleAuthorize(request, reply, request.body),
  );
}
