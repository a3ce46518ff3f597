/**
 * The API: Fastify routes protected by `@tessera/verify/fastify` (a `preHandler` per route).
 *
 * - `GET /` is public;
 * - `GET /api/me` needs any valid access token (a person's or a client's) and says whose it is;
 * - `GET /api/cookies` also needs the scope `cookies:read` (otherwise 403 `insufficient_scope`).
 *
 * A missing or bad token gets `401` with `WWW-Authenticate: Bearer …` (RFC 6750 §3).
 */
import type { Verifier } from '@tessera/verify';
import { protect } from '@tessera/verify/fastify';
import Fastify, { type FastifyInstance } from 'fastify';

export function createApp(verifier: Verifier): FastifyInstance {
  const app = Fastify();
  app.get('/', async () => ({ hello: 'world', try: ['/api/me', '/api/cookies'] }));
  app.get('/api/me', { preHandler: protect(verifier) }, async (request) => ({
    subject: request.auth?.subject,
    scope: request.auth?.scope,
    client: request.auth?.clientId,
  }));
  app.get('/api/cookies', { preHandler: protect(verifier, { scope: 'cookies:read' }) }, async (request) => ({
    cookies: 12,
    for: request.auth?.subject,
  }));
  return app;
}
