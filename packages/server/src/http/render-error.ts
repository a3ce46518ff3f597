/**
 * The ONLY place an error becomes an HTTP response (DESIGN §8, STYLE §9.3).
 *
 * - OAuthError → RFC 6749 §5.2 JSON body with `Cache-Control: no-store`; `invalid_client` after Basic
 *   authentication adds `WWW-Authenticate: Basic` (RFC 6749 §5.2); Bearer-protected routes add an
 *   RFC 6750 §3 challenge.
 * - Fastify's parse/validation/size errors → `invalid_request` with their 4xx status.
 * - The database unavailable (down, hung, locked past its deadline) → `temporarily_unavailable` 503
 *   with `Retry-After`: the request may well succeed in a moment, which a 500 would not say.
 * - Anything else → `server_error` 500 with the request id; the cause goes to the log only.
 */
import { isOAuthError, OAuthError } from '@tessera/protocol';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isStoreUnavailable } from '../store/unavailable.js';
import { isPageRequest, renderPageError } from './pages/authorize-response.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which authentication challenge this route's 401s carry. */
    challenge?: 'basic' | 'bearer';
    /** The route only answers 405 (its path is served under other methods): not named in `Allow`. */
    refusesMethod?: boolean;
  }
  interface FastifyRequest {
    /** Set by client authentication when the client used HTTP Basic (RFC 6749 §2.3.1). */
    usedBasicAuth?: boolean;
  }
}

/** Quotes a value for an auth-param (RFC 9110 §5.6.4). */
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** RFC 6750 §3 `WWW-Authenticate: Bearer …` value. */
export function bearerChallenge(realm: string, error?: OAuthError): string {
  const params = [`realm=${quoted(realm)}`];
  // RFC 6750 §3.1: a request with no authentication information gets no error code, and only the
  // three bearer codes belong in a Bearer challenge.
  const bearerCodes = ['invalid_request', 'invalid_token', 'insufficient_scope'];
  if (error !== undefined && !error.noCredentials && bearerCodes.includes(error.code)) {
    params.push(`error=${quoted(error.code)}`, `error_description=${quoted(error.description)}`);
    if (error.scope !== undefined) {
      params.push(`scope=${quoted(error.scope)}`);
    }
  }
  return `Bearer ${params.join(', ')}`;
}

/** Seconds a client is asked to wait when the database is unavailable (RFC 9110 §10.2.3). */
export const UNAVAILABLE_RETRY_AFTER = 5;

/** Maps Fastify's own errors (parsing, validation, limits) to an OAuthError. */
function fromFastifyError(error: FastifyError): OAuthError | undefined {
  const status = error.statusCode;
  if (error.validation !== undefined) {
    return OAuthError.invalidRequest(`Invalid request: ${error.message}`);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return OAuthError.invalidRequest('Request body is too large', { status: 413 });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return OAuthError.invalidRequest('Unsupported content type', { status: 415 });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return OAuthError.invalidRequest('Malformed request body');
    default:
      break;
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return OAuthError.invalidRequest('Malformed request', { status });
  }
  return undefined;
}

/**
 * The OAuthError any error is answered with; app.ts counts rejections by its code. Fastify's own
 * 4xx errors are the client's doing and are mapped first: a client that hangs up halfway through
 * its body gets Node's "aborted" (`ECONNRESET`, status 400), which is not the database's socket.
 */
export function toOAuthError(raw: unknown): OAuthError {
  const deliberate = isOAuthError(raw) && raw.code !== 'server_error';
  const fromClient =
    !isOAuthError(raw) && raw instanceof Error ? fromFastifyError(raw as FastifyError) : undefined;
  if (fromClient !== undefined) {
    return fromClient;
  }
  if (!deliberate && isStoreUnavailable(raw)) {
    // Also when wrapped: a server_error whose cause is the outage is still the outage.
    return OAuthError.temporarilyUnavailable('The service is temporarily unavailable; retry later', {
      cause: raw,
      retryAfter: UNAVAILABLE_RETRY_AFTER,
    });
  }
  if (isOAuthError(raw)) {
    return raw;
  }
  return OAuthError.serverError('The server met an unexpected condition', { cause: raw });
}

/** Turns any error into the response. Registered as Fastify's error handler in app.ts. */
export function renderError(
  this: { realm: string },
  raw: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const error = toOAuthError(raw);
  if (error.code === 'temporarily_unavailable') {
    request.log.warn({ err: error.cause ?? raw, requestId: request.id }, 'database unavailable');
  } else if (error.code === 'server_error' || error.status >= 500) {
    request.log.error({ err: error.cause ?? raw, requestId: request.id }, 'request failed');
  } else if (error.cause !== undefined) {
    request.log.info({ code: error.code, cause: String(error.cause) }, 'request refused');
  }

  reply.code(error.status);
  reply.header('cache-control', 'no-store');
  const challenge = request.routeOptions.config?.challenge;
  if (challenge === 'bearer' && (error.code === 'invalid_dpop_proof' || error.code === 'use_dpop_nonce')) {
    // RFC 9449 §7.1: a proof problem is answered with a DPoP challenge.
    reply.header(
      'www-authenticate',
      `DPoP realm=${quoted(this.realm)}, error=${quoted(error.code)}, error_description=${quoted(error.description)}`,
    );
  } else if (
    challenge === 'bearer' &&
    (error.status === 401 || error.status === 403 || error.code === 'invalid_request')
  ) {
    reply.header('www-authenticate', bearerChallenge(this.realm, error));
  } else if (error.code === 'invalid_client' && (request.usedBasicAuth === true || challenge === 'basic')) {
    reply.header('www-authenticate', `Basic realm=${quoted(this.realm)}, charset="UTF-8"`);
  }
  if (error.retryAfter !== undefined) {
    const seconds = Math.max(1, Math.ceil(error.retryAfter));
    reply.header('retry-after', String(seconds));
    // draft-ietf-httpapi-ratelimit-headers: a 429 whose limit set no exhausted member (a backoff)
    // still says when to come back, in the same form as the rate limits do.
    const fields = reply.getHeader('ratelimit');
    if (error.status === 429 && !/;r=0;/.test(String(fields ?? ''))) {
      const member = `"backoff";r=0;t=${seconds}`;
      reply.header('ratelimit', fields === undefined ? member : `${String(fields)}, ${member}`);
    }
  }
  // Login, consent and authorization pages: a redirect to the client or an error page (RFC 6749 §4.1.2.1).
  if (isPageRequest(request)) {
    return renderPageError(this.realm, error, request, reply);
  }
  const body: Record<string, unknown> = error.toJSON();
  // The admin API uses the same body plus the request id (STYLE §9.3).
  if (error.code === 'server_error' || request.url.startsWith('/admin')) {
    body.request_id = request.id;
  }
  return reply.type('application/json; charset=utf-8').send(body);
}
