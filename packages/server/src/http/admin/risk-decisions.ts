/**
 * `GET /admin/risk/decisions`: the decisions of risk-based sign-in (users/login-risk.ts), newest
 * first, each with its score, its outcome and its top three factors, plus `device` when the
 * sign-in had one (docs/risk.md explains each factor). Filters: `user_id`, `decision` (`allow`,
 * `step_up`, `deny`), `since` and `until` (Unix seconds, inclusive). Scope `risk:read`.
 * `decision` is applied to each page read, so a page may hold fewer than `limit` items while
 * `next` still leads to more.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditStore } from '../../store/ports.js';
import { RISK_DECISION_EVENT } from '../../users/login-risk.js';
import { describeRoute } from './openapi.js';

const MAX_PAGE = 100;
const unixSeconds = z.string().regex(/^\d{1,12}$/);

const decisionViewSchema = z.object({
  at: z.int().meta({ description: 'Unix seconds' }),
  user_id: z.string(),
  decision: z.enum(['allow', 'step_up', 'deny']),
  outcome: z.string().meta({
    description:
      '`proceed` (session granted), `second_factor` (asked for the passkey or TOTP), `no_second_factor` (refused: the person has neither) or `deny`',
  }),
  score: z.number(),
  amr: z.array(z.string()).meta({ description: 'RFC 8176 methods the sign-in had used when scored' }),
  ip: z.string().nullable(),
  factors: z.array(z.object({ name: z.string(), value: z.number() })),
  request_id: z.string().nullable(),
});

const listQuery = z.strictObject({
  user_id: z.string().max(128).optional(),
  decision: z.enum(['allow', 'step_up', 'deny']).optional(),
  since: unixSeconds.optional(),
  until: unixSeconds.optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/)
    .optional(),
  cursor: z.string().max(512).optional(),
});

export function registerRiskDecisionRoutes(
  admin: FastifyInstance,
  deps: { store: Pick<AuditStore, 'listAudit'> },
): void {
  admin.get(
    '/risk/decisions',
    describeRoute({
      summary: 'List risk-based sign-in decisions with their top factors',
      tags: ['risk'],
      querystring: listQuery,
      responses: { 200: z.object({ items: z.array(decisionViewSchema), next: z.string().optional() }) },
      errors: [400],
    }),
    async (request) => {
      const result = listQuery.safeParse(request.query ?? {});
      if (!result.success) {
        throw OAuthError.invalidRequest(
          'Invalid query: use user_id, decision (allow, step_up or deny), since and until (Unix seconds), limit (1 to 100) and cursor',
        );
      }
      const { user_id, decision, since, until, cursor } = result.data;
      const limit = result.data.limit === undefined ? MAX_PAGE : Number(result.data.limit);
      if (limit < 1 || limit > MAX_PAGE) {
        throw OAuthError.invalidRequest(`limit must be 1 to ${MAX_PAGE}`);
      }
      try {
        const page = await deps.store.listAudit({
          type: RISK_DECISION_EVENT,
          limit,
          ...(user_id === undefined ? {} : { subject: user_id }),
          ...(since === undefined ? {} : { since: Number(since) }),
          ...(until === undefined ? {} : { until: Number(until) }),
          ...(cursor === undefined ? {} : { cursor }),
        });
        const items = page.items
          .map((event) => {
            const data = event.data as Record<string, unknown>;
            return {
              at: event.at,
              user_id: event.subject ?? event.actor,
              decision: data.decision as 'allow' | 'step_up' | 'deny',
              outcome: String(data.outcome),
              score: Number(data.score),
              amr: Array.isArray(data.amr) ? (data.amr as string[]) : [],
              ip: typeof data.ip === 'string' ? data.ip : null,
              factors: Array.isArray(data.factors) ? (data.factors as { name: string; value: number }[]) : [],
              request_id: event.requestId,
            };
          })
          .filter((item) => decision === undefined || item.decision === decision);
        return { items, ...(page.next === undefined ? {} : { next: page.next }) };
      } catch (error) {
        if (error instanceof RangeError) {
          throw OAuthError.invalidRequest('Invalid cursor');
        }
        throw error;
      }
    },
  );
}
