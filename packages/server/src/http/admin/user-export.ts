/**
 * `GET /admin/users/{id}/export`: what Tessera holds about a person, the same document the person
 * downloads from the account page (see users/account-export.ts); never a secret.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log.js';
import type { AccountExport } from '../../users/account-export.js';
import { describeRoute } from './openapi.js';

export function registerUserExportRoute(
  admin: FastifyInstance,
  deps: { exportAccount: AccountExport; audit: Pick<AuditLog, 'record'> },
): void {
  admin.get(
    '/users/:id/export',
    describeRoute({
      summary: 'Export what is held about a user',
      description:
        'Profile, linked wallets and DIDs, passkeys (metadata), second factors (enabled or not), sessions, consents, API keys (metadata) and recent audit events about the user. Never a secret.',
      tags: ['users'],
      params: z.object({ id: z.string() }),
      responses: { 200: z.record(z.string(), z.unknown()) },
      errors: [404],
    }),
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const data = id.length > 128 ? undefined : await deps.exportAccount(id);
      if (data === undefined) {
        throw OAuthError.notFound('No such user');
      }
      deps.audit.record({
        type: 'account.exported',
        actor: 'admin',
        subject: id,
        data: {},
        requestId: request.id,
      });
      return reply.header('cache-control', 'no-store').send(data);
    },
  );
}
