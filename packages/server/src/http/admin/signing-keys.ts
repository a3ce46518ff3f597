/** `GET /admin/signing-keys` and `POST /admin/signing-keys/rotate`. */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../clock.js';
import type { EventBus } from '../../events/bus.js';
import type { Keyring } from '../../keys/keyring.js';
import type { SigningKeyRecord, SigningKeyStore } from '../../store/ports.js';

export interface SigningKeyRoutesDeps {
  keyring: Keyring;
  store: SigningKeyStore;
  clock: Clock;
  bus: EventBus;
}

export function describeKey(record: SigningKeyRecord, now: number) {
  const status =
    record.activatesAt > now
      ? 'upcoming'
      : record.retiredAt !== null && record.retiredAt <= now
        ? 'retired'
        : 'active';
  return {
    kid: record.kid,
    alg: record.alg,
    status,
    created_at: record.createdAt,
    activates_at: record.activatesAt,
    retired_at: record.retiredAt,
    expires_at: record.expiresAt,
  };
}

export function registerSigningKeyRoutes(app: FastifyInstance, deps: SigningKeyRoutesDeps): void {
  app.get('/signing-keys', async () => {
    const now = deps.clock.now();
    const keys = await deps.store.listSigningKeys();
    return { items: keys.map((k) => describeKey(k, now)) };
  });

  app.post('/signing-keys/rotate', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (
      typeof body !== 'object' ||
      Array.isArray(body) ||
      (body.now !== undefined && typeof body.now !== 'boolean')
    ) {
      throw OAuthError.invalidRequest('Body must be {"now": boolean} or empty');
    }
    const added = await deps.keyring.rotate({ now: body.now === true });
    for (const key of added) {
      deps.bus.publish('signing_key.rotated', { kid: key.kid });
    }
    const now = deps.clock.now();
    return reply.code(201).send({ items: added.map((k) => describeKey(k, now)) });
  });
}
