/**
 * The one global `onRequest` hook: every response starts with the security headers (computed once,
 * security-headers.ts), then the Host field is checked (RFC 9112 §3.2, host-header.ts) and a repeated
 * Authorization field refused (RFC 9110 §5.3). It was two
 * hooks, one of them async, plus a third that looked up each request's route rate limit; per-route
 * work is now attached to the route at registration (rate-limit.ts, metrics.ts), so a request pays
 * one synchronous hook here.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import { checkHostHeader } from './host-header.js';

/**
 * RFC 9110 §5.3: Authorization is not a list, so two field lines make the request invalid; Node
 * keeps only the first, while a proxy in front may have judged the other (RFC 6749 §2.3: one
 * authentication method per request).
 */
function hasTwoAuthorizationLines(rawHeaders: readonly string[]): boolean {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index];
    if (name?.length === 13 && name.toLowerCase() === 'authorization' && ++count > 1) {
      return true;
    }
  }
  return false;
}

export function registerRequestGuard(
  app: FastifyInstance,
  securityHeaders: Readonly<Record<string, string>>,
): void {
  app.addHook('onRequest', function guardRequest(request, reply, done) {
    reply.headers(securityHeaders);
    try {
      checkHostHeader(request, reply);
      if (hasTwoAuthorizationLines(request.raw.rawHeaders)) {
        throw OAuthError.invalidRequest('The request has more than one Authorization header');
      }
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  });
}
