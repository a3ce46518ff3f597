/**
 * `GET /admin/users/{id}/risk-profile`: the person's risk history in readable form (hashes of the
 * values, never raw addresses or User-Agents; `@tessera/risk` summarizeProfile), scope `risk:read`.
 * `DELETE`: erases it from the store and from this node's engine; other nodes drop their copy at
 * the person's next sign-in, when the row is read and found gone. Scope `risk:write`; audited as
 * `risk.profile_erased`.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log.js';
import type { RiskState } from '../../users/risk-state.js';
import { describeRoute } from './openapi.js';

/** The audit event of an erasure. */
export const RISK_PROFILE_ERASED_EVENT = 'risk.profile_erased';

const params = z.object({ id: z.string().max(128) });

function userIdOf(request: { params: unknown }): string {
  const parsed = params.safeParse(request.params);
  if (!parsed.success) {
    throw OAuthError.notFound('No risk history for this user');
  }
  return parsed.data.id;
}

export function registerRiskProfileRoutes(
  admin: FastifyInstance,
  deps: { riskState: Pick<RiskState, 'summary' | 'erase'>; audit: Pick<AuditLog, 'record'> },
): void {
  admin.get(
    '/users/:id/risk-profile',
    describeRoute({
      summary: "Read a user's risk history",
      description:
        'What the risk engine keeps about the person: per level (address, /24, network, country, city, region, User-Agent, browser, OS, device) the 32-bit FNV-1a hashes of the values with their decayed weights, sign-ins per hour of day (UTC), recent round-trip times and newest browser versions. Never a raw address or User-Agent.',
      tags: ['risk'],
      params,
      responses: { 200: z.object({ user_id: z.string(), profile: z.record(z.string(), z.unknown()) }) },
      errors: [404],
    }),
    async (request, reply) => {
      const id = userIdOf(request);
      const profile = await deps.riskState.summary(id);
      if (profile === undefined) {
        throw OAuthError.notFound('No risk history for this user');
      }
      return reply.header('cache-control', 'no-store').send({ user_id: id, profile });
    },
  );

  admin.delete(
    '/users/:id/risk-profile',
    describeRoute({
      summary: "Erase a user's risk history",
      description:
        'From the store and this node at once; other nodes drop their copy at the next read of it (the next sign-in). The person is then scored as one without history.',
      tags: ['risk'],
      params,
      responses: { 204: null },
      errors: [404],
    }),
    async (request, reply) => {
      const id = userIdOf(request);
      if (!(await deps.riskState.erase(id))) {
        throw OAuthError.notFound('No risk history for this user');
      }
      deps.audit.record({
        type: RISK_PROFILE_ERASED_EVENT,
        actor: 'admin',
        subject: id,
        data: {},
        requestId: request.id,
      });
      return reply.code(204).send();
    },
  );
}
