/**
 * `/admin/users/{id}/consents`: which clients a user allowed (and with which scopes), and revoking
 * one. Revoking a consent ends every grant the user gave that client, refresh tokens and access
 * tokens alike, streamed like any revocation; the next authorization asks for consent again (see
 * users/consent-service.ts).
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ConsentRecord } from '../../store/ports.js';
import type { ConsentService } from '../../users/consent-service.js';
import type { UserService } from '../../users/user-service.js';
import { describeRoute } from './openapi.js';

const TAGS = ['users'];

const consentViewSchema = z.object({
  client_id: z.string().meta({ description: 'cli_...' }),
  scope: z.string().meta({ description: 'Space-separated scopes the user granted (RFC 6749 §3.3).' }),
  granted_at: z.int(),
  subject_choice: z.enum(['pairwise']).nullable().meta({
    description:
      "'pairwise' when the person chose, on the account page, to be known to this client (registered public) by a pairwise sub of its own (OIDC Core §8); null otherwise.",
  }),
  chosen_sub: z.string().optional().meta({
    description: 'That pairwise sub, which the client sees in ID tokens, userinfo and access tokens.',
  }),
});

function toConsentView(
  consent: ConsentRecord,
  chosen: ReadonlyMap<string, string>,
): z.infer<typeof consentViewSchema> {
  const sub = chosen.get(consent.clientId);
  return {
    client_id: consent.clientId,
    scope: consent.scope.join(' '),
    granted_at: consent.grantedAt,
    subject_choice: sub === undefined ? null : 'pairwise',
    ...(sub === undefined ? {} : { chosen_sub: sub }),
  };
}

const userParams = z.object({ id: z.string() });
const consentParams = z.object({ id: z.string(), clientId: z.string() });

export function registerConsentRoutes(
  admin: FastifyInstance,
  deps: { users: Pick<UserService, 'find'>; consents: ConsentService },
): void {
  async function requireUser(id: string): Promise<void> {
    if ((await deps.users.find(id)) === undefined) {
      throw OAuthError.notFound('No such user');
    }
  }

  admin.get(
    '/users/:id/consents',
    describeRoute({
      summary: "List a user's consents",
      tags: TAGS,
      params: userParams,
      responses: { 200: z.object({ items: z.array(consentViewSchema) }) },
      errors: [404],
    }),
    async (request) => {
      const { id } = request.params as { id: string };
      await requireUser(id);
      const [consents, chosen] = await Promise.all([
        deps.consents.list(id),
        deps.consents.chosenSubjects(id),
      ]);
      return { items: consents.map((consent) => toConsentView(consent, chosen)) };
    },
  );

  admin.delete(
    '/users/:id/consents/:clientId',
    describeRoute({
      summary: 'Revoke a consent (revokes every token the user granted that client)',
      description:
        "Deletes the consent, revokes the refresh-token families and access tokens issued to the client for the user (a 'consent' revocation on the revocation stream), and makes the next authorization ask for consent again.",
      tags: TAGS,
      params: consentParams,
      responses: { 204: null },
      errors: [404],
    }),
    async (request, reply) => {
      const { id, clientId } = request.params as { id: string; clientId: string };
      await requireUser(id);
      if (!(await deps.consents.revoke(id, clientId, 'admin'))) {
        throw OAuthError.notFound('No such consent');
      }
      return reply.code(204).send();
    },
  );
}
