/**
 * `GET /admin/audit`: the audit log, newest first, filtered by actor, subject, event type and a time
 * window, paged by cursor like the other admin lists; as JSON (default) or as CSV (`format=csv`, for
 * a spreadsheet or an archive). Scope `audit:read`. The query is parsed in audit-query.ts; the view,
 * its blanking of anything shaped like a credential and the CSV in audit-view.ts.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditStore } from '../../store/ports.js';
import { auditListQuery, parseAuditListQuery } from './audit-query.js';
import { auditEventViewSchema, toAuditCsv, toAuditEventView } from './audit-view.js';
import { describeRoute } from './openapi.js';

const listResponse = z.object({
  items: z.array(auditEventViewSchema),
  next: z.string().optional().meta({ description: 'Cursor of the next page; absent on the last page.' }),
});

/** The route's documentation, with the CSV representation beside the JSON one. */
function documentation() {
  const options = describeRoute({
    summary: 'List the audit log (JSON or CSV)',
    description:
      'Newest first. Filters are exact; `since` and `until` are inclusive. With `format=csv` the answer is RFC 4180 CSV (columns id, time, at, type, actor, subject, request_id, data as JSON; a field starting with = + - @ is prefixed with a quote) and the next page is in the `Link` header.',
    tags: ['audit'],
    querystring: auditListQuery,
    responses: { 200: listResponse },
    errors: [400],
  });
  const ok = (options.schema as { response: Record<string, { content: Record<string, unknown> }> }).response[
    '200'
  ];
  if (ok !== undefined) {
    ok.content['text/csv'] = { schema: { type: 'string' } };
  }
  return options;
}

export function registerAuditRoutes(
  admin: FastifyInstance,
  deps: { store: Pick<AuditStore, 'listAudit'> },
): void {
  admin.get('/audit', documentation(), async (request, reply) => {
    const query = parseAuditListQuery(request.query);
    let page: Awaited<ReturnType<AuditStore['listAudit']>>;
    try {
      page = await deps.store.listAudit({
        ...query.filter,
        limit: query.limit,
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      });
    } catch (error) {
      if (error instanceof RangeError) {
        throw OAuthError.invalidRequest('Invalid cursor: use the next value of the previous page');
      }
      throw error;
    }
    const items = page.items.map(toAuditEventView);
    if (query.format === 'json') {
      return { items, ...(page.next === undefined ? {} : { next: page.next }) };
    }
    if (page.next !== undefined) {
      // RFC 8288: the same query with the next page's cursor.
      const params = new URLSearchParams(request.url.split('?')[1] ?? '');
      params.set('cursor', page.next);
      reply.header('link', `</admin/audit?${params.toString()}>; rel="next"`);
    }
    return reply
      .header('content-type', 'text/csv; charset=utf-8; header=present')
      .header('content-disposition', 'attachment; filename="tessera-audit.csv"')
      .send(toAuditCsv(items));
  });
}
