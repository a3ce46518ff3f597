/**
 * The one global `onRequest` hook: every response starts with the security headers (computed once,
 * security-headers.ts), then the Host field is checked (RFC 9112 §3.2, host-header.ts). It was two
 * hooks, one of them async, plus a third that looked up each request's route rate limit; per-route
 * work is now attached to the route at registration (rate-limit.ts, metrics.ts), so a request pays
 * one synchronous hook here.
 */
import type { FastifyInstance } from 'fastify';
import { checkHostHeader } from './host-header.js';

export function registerRequestGuard(
  app: FastifyInstance,
  securityHeaders: Readonly<Record<string, string>>,
): void {
  app.addHook('onRequest', function guardRequest(request, reply, done) {
    reply.headers(securityHeaders);
    try {
      checkHostHeader(request, reply);
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  });
}
