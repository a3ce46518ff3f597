/**
 * `GET /jwks` (advertised as `jwks_uri`, RFC 8414 §2): the public signing keys. The cache lifetime
 * is short, and never longer than the time to the next scheduled key change.
 */
import type { FastifyInstance } from 'fastify';
import type { Keyring } from '../../keys/keyring.js';

const MAX_AGE = 300;

export function registerJwks(app: FastifyInstance, keyring: Keyring): void {
  app.get('/jwks', async (_request, reply) => {
    const next = keyring.secondsToNextChange();
    const maxAge = Math.max(0, Math.min(MAX_AGE, next ?? MAX_AGE));
    reply.header('cache-control', `public, max-age=${maxAge}`);
    reply.type('application/jwk-set+json; charset=utf-8');
    return keyring.jwks();
  });
}
