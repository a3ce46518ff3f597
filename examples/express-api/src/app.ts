/**
 * The API: Express 5 routes protected by `@tessera/verify/express`.
 *
 * - `GET /` is public;
 * - `GET /api/me` needs any valid access token (a person's or a client's) and says whose it is;
 * - `GET /api/cookies` also needs the scope `cookies:read` (otherwise 403 `insufficient_scope`).
 *
 * A missing or bad token gets `401` with `WWW-Authenticate: Bearer …` (RFC 6750 §3).
 */
import type { Verifier } from '@tessera/verify';
import { authOf, protect } from '@tessera/verify/express';
import express, { type Express } from 'express';

export function createApp(verifier: Verifier): Express {
  const app = express();
  app.get('/', (_req, res) => {
    res.json({ hello: 'world', try: ['/api/me', '/api/cookies'] });
  });
  app.get('/api/me', protect(verifier), (_req, res) => {
    const token = authOf(res);
    res.json({ subject: token?.subject, scope: token?.scope, client: token?.clientId });
  });
  app.get('/api/cookies', protect(verifier, { scope: 'cookies:read' }), (_req, res) => {
    res.json({ cookies: 12, for: authOf(res)?.subject });
  });
  return app;
}
