/**
 * The shape shared by the token, introspection and revocation endpoints:
 * - only `POST` (RFC 6749 §3.2, RFC 7662 §2.1, RFC 7009 §2.1); other methods get 405 with `Allow`;
 * - only `application/x-www-form-urlencoded` in UTF-8 (RFC 6749 §3.2, Appendix B), checked before
 *   the body is read; anything else is `invalid_request` with 400, the status RFC 6749 §5.2 gives
 *   every token-endpoint error it does not name otherwise;
 * - `Cache-Control: no-store` and `Pragma: no-cache` on every response, errors included (RFC 6749
 *   §5.1, RFC 7662 §2.2 carries tokens' claims too);
 * - the caller authenticates as a client (RFC 6749 §2.3), and `request.usedBasicAuth` is set so a
 *   failure carries `WWW-Authenticate: Basic` (RFC 6749 §5.2).
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { isBasicAuthorization } from '../../oauth/client-auth/client-secret-basic.js';
import type { AuthenticateClient, AuthenticatedClient } from '../../oauth/client-auth/index.js';
import type { FormBody } from './form-body.js';
import { checkHook, type RequestCheck } from './rate-limit.js';

const OTHER_METHODS = ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** True for a form media type whose charset, if named, is UTF-8 (RFC 6749 Appendix B). */
export function isFormUrlEncoded(contentType: string | undefined): boolean {
  if (contentType === undefined) {
    return false;
  }
  // What clients send almost always: the media type alone, no parameter to read.
  if (contentType === FORM_MEDIA_TYPE) {
    return true;
  }
  const [mediaType, ...params] = contentType.split(';');
  if (mediaType?.trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
    return false;
  }
  for (const param of params) {
    const [name, value] = param.split('=');
    if (
      name?.trim().toLowerCase() === 'charset' &&
      value?.trim().replace(/^"|"$/g, '').toLowerCase() !== 'utf-8'
    ) {
      return false;
    }
  }
  return true;
}

/**
 * RFC 6749 §5.1 / RFC 7662 §2.2: the answer is never cached. Set when the request arrives, so every
 * answer of these routes carries it, errors included (Fastify keeps headers set before an error).
 */
function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}

/** Refuses a body that is not a UTF-8 form before it is read. */
function requireForm(request: FastifyRequest): void {
  if (!isFormUrlEncoded(request.headers['content-type'])) {
    throw OAuthError.invalidRequest('Content-Type must be application/x-www-form-urlencoded');
  }
}

/**
 * The route's one onRequest hook: no-store headers, then its own check (a per-IP limit, say), then
 * the form check, all before the body is read. One synchronous hook instead of two plus an onSend
 * hook.
 */
function onRequestOf(limit: OAuthPostRoute['onRequest']): onRequestHookHandler {
  if (limit === undefined) {
    return checkHook(function acceptForm(request, reply) {
      noStore(reply);
      requireForm(request);
    });
  }
  return checkHook(function acceptForm(request, reply) {
    noStore(reply);
    limit(request, reply);
    requireForm(request);
  });
}

/** RFC 6749 §3.2: no parameter may repeat, except those named (e.g. RFC 8707 `resource`). */
export function refuseRepeatedParams(body: FormBody, except: readonly string[] = []): void {
  for (const [name, value] of Object.entries(body)) {
    if (Array.isArray(value) && !except.includes(name)) {
      throw OAuthError.invalidRequest(`Parameter ${name} must not be repeated`);
    }
  }
}

/**
 * Authenticates the client of a form request (sets `usedBasicAuth` first, for the challenge): the
 * client, or a promise of it; a refusal is thrown or rejected (see {@link AuthenticateClient}).
 */
export function authenticateRequest(
  request: FastifyRequest,
  authenticate: AuthenticateClient,
  body: FormBody,
  endpoint: string,
): AuthenticatedClient | Promise<AuthenticatedClient> {
  // RFC 6749 §2.3.1: credentials "MUST NOT be included in the request URI" (they would be logged).
  const query = request.query;
  if (
    typeof query === 'object' &&
    query !== null &&
    ('client_secret' in query || 'client_assertion' in query)
  ) {
    throw OAuthError.invalidRequest(
      'Client credentials must be sent in the body or the Authorization header, never in the URL',
    );
  }
  const authorization = request.headers.authorization;
  request.usedBasicAuth = isBasicAuthorization(authorization);
  return authenticate({ authorization, body, endpoint });
}

export interface OAuthPostRoute {
  url: string;
  /** Runs before the body is read (e.g. a per-IP rate limit); throws to refuse the request. */
  onRequest?: RequestCheck;
  /** A promise, or `undefined` when the handler has already sent its answer (no promise). */
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> | undefined;
}

/** Registers the routes inside one encapsulated plugin, so its hooks touch only them. */
export async function registerOAuthPostRoutes(
  app: FastifyInstance,
  routes: readonly OAuthPostRoute[],
): Promise<void> {
  await app.register(async function oauthPostEndpoints(scope) {
    for (const route of routes) {
      scope.route({
        method: 'POST',
        url: route.url,
        onRequest: onRequestOf(route.onRequest),
        handler: route.handler,
      });
      scope.route({
        method: [...OTHER_METHODS],
        url: route.url,
        config: { refusesMethod: true },
        handler: async (_request, reply) => {
          noStore(reply);
          reply.header('allow', 'POST');
          throw OAuthError.invalidRequest(`Use POST at ${route.url}`, { status: 405 });
        },
      });
    }
  });
}
