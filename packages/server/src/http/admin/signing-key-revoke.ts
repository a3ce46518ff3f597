/**
 * `POST /admin/signing-keys/:kid/revoke` (`tessera signing-keys revoke KID`): pulls a compromised
 * signing key. It leaves the JWKS and the store at once, every node drops it (bus event), and a
 * `key` revocation is streamed so `@tessera/verify` refuses every token it signed, even one it had
 * cached as valid (DESIGN §5).
 *
 * Body: `{}` or `{"rotate": true}`. Pulling the only key that signs its algorithm is refused with
 * 409 `conflict` and changes nothing; with `rotate` a replacement that signs at once is minted
 * first. An unknown kid is 404 `not_found`.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import type { EventBus } from '../../events/bus.js';
import type { Keyring } from '../../keys/keyring.js';
import type { Revocations } from '../../tokens/revocations.js';
import type { HttpFeature } from '../feature.js';
import { describeKey } from './signing-keys.js';

export interface SigningKeyRevokeDeps {
  keyring: Pick<Keyring, 'pull'>;
  revocations: Pick<Revocations, 'revoke'>;
  bus: EventBus;
  clock: Clock;
  audit: Pick<AuditLog, 'record'>;
  /** Seconds any token a key signed can live (access and ID tokens, plus clock skew). */
  horizon: number;
}

const KID = /^[A-Za-z0-9_-]{1,128}$/;

function parseBody(raw: unknown): { rotate: boolean } {
  const body = raw ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw OAuthError.invalidRequest('Body must be {"rotate": boolean} or empty');
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => k !== 'rotate');
  if (unknown.length > 0) {
    throw OAuthError.invalidRequest(`Unknown field: ${unknown.join(', ')}`);
  }
  if (fields.rotate !== undefined && typeof fields.rotate !== 'boolean') {
    throw OAuthError.invalidRequest('rotate must be a boolean');
  }
  return { rotate: fields.rotate === true };
}

export function registerSigningKeyRevokeRoute(app: FastifyInstance, deps: SigningKeyRevokeDeps): void {
  app.post<{ Params: { kid: string } }>('/signing-keys/:kid/revoke', async (request) => {
    const { rotate } = parseBody(request.body);
    const { kid } = request.params;
    if (!KID.test(kid)) {
      throw OAuthError.notFound('No such signing key');
    }
    const result = await deps.keyring.pull(kid, { rotate });
    if (result.status === 'not_found') {
      throw OAuthError.notFound('No such signing key');
    }
    if (result.status === 'only_signer') {
      throw OAuthError.conflict(
        `This is the only key that signs ${result.alg} tokens now: rotate first (signing-keys rotate --now), or pull it with rotate to mint a replacement that signs at once`,
      );
    }
    const now = deps.clock.now();
    for (const added of result.added) {
      deps.bus.publish('signing_key.rotated', { kid: added.kid });
    }
    deps.bus.publish('signing_key.revoked', { kid });
    const event = await deps.revocations.revoke({ type: 'key', value: kid }, now + deps.horizon);
    deps.audit.record({
      type: 'signing_key.revoked',
      actor: 'admin',
      subject: kid,
      data: { alg: result.pulled.alg, replacedBy: result.added.map((k) => k.kid), revocationId: event.id },
      requestId: request.id,
    });
    return {
      kid,
      alg: result.pulled.alg,
      revoked_at: now,
      revocation_id: event.id,
      added: result.added.map((k) => describeKey(k, now)),
    };
  });
}

/** The route as a feature: it needs the core's revocations, which app.ts does not hold. */
export function createSigningKeyRevokeFeature(deps: SigningKeyRevokeDeps): HttpFeature {
  return {
    name: 'signing-key-revoke',
    registerAdmin(admin) {
      registerSigningKeyRevokeRoute(admin, deps);
    },
  };
}
