/**
 * `/admin/users/{id}/passkeys`: a person's passkeys (name, created, last used, backup flags,
 * counter), and removing one (for a lost device). The credential's public key is never shown.
 * Removal goes through the factor guard like the person's own removal does.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PasskeyRecord } from '../../store/ports.js';
import type { PasskeyService } from '../../users/passkey-service.js';
import type { UserService } from '../../users/user-service.js';
import { describeRoute } from './openapi.js';

const TAGS = ['users'];

export const passkeyViewSchema = z.object({
  id: z.string().meta({ description: 'pk_...' }),
  name: z.string(),
  credential_id: z.string().meta({ description: 'WebAuthn credential id, base64url' }),
  aaguid: z.string().meta({ description: 'Authenticator model (all zeros when not disclosed)' }),
  transports: z.array(z.string()),
  backup_eligible: z.boolean().meta({ description: 'BE flag: a multi-device (synced) passkey' }),
  backed_up: z.boolean().meta({ description: 'BS flag as last seen' }),
  counter: z.int(),
  created_at: z.int(),
  last_used_at: z.int().nullable(),
});

export function toPasskeyView(passkey: PasskeyRecord): z.infer<typeof passkeyViewSchema> {
  return {
    id: passkey.id,
    name: passkey.name,
    credential_id: passkey.credentialId,
    aaguid: passkey.aaguid,
    transports: passkey.transports,
    backup_eligible: passkey.backupEligible,
    backed_up: passkey.backedUp,
    counter: passkey.counter,
    created_at: passkey.createdAt,
    last_used_at: passkey.lastUsedAt,
  };
}

export function registerPasskeyAdminRoutes(
  admin: FastifyInstance,
  deps: { users: Pick<UserService, 'find'>; passkeys: PasskeyService },
): void {
  async function requireUser(id: string): Promise<string> {
    if (id.length > 128 || (await deps.users.find(id)) === undefined) {
      throw OAuthError.notFound('No such user');
    }
    return id;
  }

  admin.get(
    '/users/:id/passkeys',
    describeRoute({
      summary: "List a user's passkeys",
      tags: TAGS,
      params: z.object({ id: z.string() }),
      responses: { 200: z.object({ items: z.array(passkeyViewSchema) }) },
      errors: [404],
    }),
    async (request) => {
      const id = await requireUser((request.params as { id: string }).id);
      return { items: (await deps.passkeys.list(id)).map(toPasskeyView) };
    },
  );

  admin.delete(
    '/users/:id/passkeys/:passkey',
    describeRoute({
      summary: "Remove a user's passkey",
      description: 'Refused (409) when it is the last second factor of a user whose policy requires MFA.',
      tags: TAGS,
      params: z.object({ id: z.string(), passkey: z.string() }),
      responses: { 204: null },
      errors: [404, 409],
    }),
    async (request, reply) => {
      const params = request.params as { id: string; passkey: string };
      const id = await requireUser(params.id);
      if (!(await deps.passkeys.remove(id, params.passkey.slice(0, 128), 'admin'))) {
        throw OAuthError.notFound('No such passkey');
      }
      return reply.code(204).send();
    },
  );
}
