/**
 * Admin API authentication: `Authorization: Bearer <admin token>` (RFC 6750 §2.1), compared in
 * constant time. Without a configured admin token the admin API answers 401 to everyone.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Adds the admin check to every route of `app` (call inside the encapsulated /admin plugin). */
export function requireAdmin(app: FastifyInstance, adminToken: string | undefined): void {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  // RFC 6750 §3: every admin 401/403 carries a Bearer challenge.
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), challenge: 'bearer' };
  });
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) {
      throw OAuthError.invalidToken('Admin credential required', { noCredentials: true });
    }
    const match = /^Bearer ([\x21-\x7E]+)$/i.exec(header);
    if (match?.[1] === undefined) {
      throw OAuthError.invalidRequest('Malformed Authorization header', { status: 401 });
    }
    // Hash both sides so the comparison is constant-time whatever the presented length.
    if (expected === undefined || !timingSafeEqual(digest(match[1]), expected)) {
      throw OAuthError.invalidToken('Invalid admin credential');
    }
  });
}
