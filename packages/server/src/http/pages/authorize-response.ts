/**
 * How errors of the authorization endpoint and the login pages reach the person (RFC 6749
 * §4.1.2.1): once the client and its redirect URI are validated the route records them on the
 * request, and a redirectable error goes back to the client with `error`, `error_description`,
 * `state` and `iss` (RFC 9207 §2); before that, or for a page error, it is shown on an error page.
 * `render-error.ts` calls {@link renderPageError}; nothing else renders these errors.
 */
import type { OAuthError } from '@tessera/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { buildAuthorizationRedirect } from '../../oauth/authorize/issue-code.js';
import { sendPage } from './layout.js';
import { renderErrorPage } from './message-page.js';
import { t } from './texts/index.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route serves HTML pages: errors become an error page or a redirect, never JSON. */
    page?: boolean;
  }
  interface FastifyRequest {
    /** Set once client_id and redirect_uri are validated (RFC 6749 §4.1.2.1). */
    authorizeRedirect?: { redirectUri: string; state: string | null };
  }
}

/** True when `request` belongs to a page route (its errors are for a person, not a program). */
export function isPageRequest(request: FastifyRequest): boolean {
  return request.routeOptions.config?.page === true;
}

export function renderPageError(
  issuer: string,
  error: OAuthError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const target = request.authorizeRedirect;
  if (error.redirectable && target !== undefined) {
    const location = buildAuthorizationRedirect(target.redirectUri, {
      error: error.code,
      error_description: error.description,
      state: target.state,
      iss: issuer,
    });
    return reply.code(303).header('location', location).send();
  }
  // The description is for the application's developers: in the log beside the request id.
  request.log.info({ code: error.code, description: error.description, requestId: request.id }, 'error page');
  return sendPage(reply, {
    title: t('error.title'),
    body: renderErrorPage(error, request.id),
    status: error.status,
  });
}
