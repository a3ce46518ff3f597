/**
 * The API: Hono routes protected by `@tessera/verify/hono`.
 *
 * - `GET /` is public;
 * - `GET /api/me` needs any valid access token (a person's or a client's) and says whose it is;
 * - `GET /api/cookies` also needs the scope `cookies:read` (otherwise 403 `insufficient_scope`).
 *
 * A missing or bad token gets `401` with `WWW-Authenticate: Bearer …` (RFC 6750 §3).
 */
import type { Verifier } from '@tessera/verify';
import { type AuthEnv, protect } from '@tessera/verify/hono';
import { Hono } from 'hono';

export function createApp(verifier: Verifier): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/', (c) => c.json({ hello: 'world', try: ['/api/me', '/api/cookies'] }));
  app.get('/api/me', protect(verifier), (c) => {
    const token = c.get('auth');
    return c.json({ subject: token.subject, scope: token.scope, client: token.clientId });
  });
  app.get('/api/cookies', protect(verifier, { scope: 'cookies:read' }), (c) =>
    c.json({ cookies: 12, for: c.get('auth').subject }),
  );
  return app;
}
