/**
 * `/console/audit`: the audit log, read from the admin API (`GET /admin/audit`, scope `audit:read`)
 * via the BFF proxy with the person's token. The filters are a GET form; a time that is none of the
 * accepted forms is refused here with the form kept, anything else the admin API refuses is shown
 * with its reason. `/console/audit/export.csv` and `.json` download the filtered events (at most
 * {@link EXPORT_PAGES} pages of 100, newest first; past that the answer links the rest): read as
 * JSON through the same proxy, and written as CSV by the admin API's own writer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseInstant } from '../admin/audit-query.js';
import { type AuditEventView, toAuditCsv } from '../admin/audit-view.js';
import { sendPage } from '../pages/layout.js';
import { type AuditFilters, type AuditRow, filterQuery, renderAuditLog } from './audit-pages.js';
import { type ConsoleContext, formErrorOf, sendApiRefusal } from './console-context.js';

const EXPORT_PAGES = 100;

function one(query: Record<string, unknown>, name: string): string {
  const value = query[name];
  return typeof value === 'string' ? value.trim() : '';
}

function filtersOf(request: FastifyRequest): { filters: AuditFilters; cursor: string; error?: string } {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const filters: AuditFilters = {
    type: one(query, 'type'),
    actor: one(query, 'actor'),
    subject: one(query, 'subject'),
    since: one(query, 'since'),
    until: one(query, 'until'),
  };
  const since = filters.since === '' ? undefined : parseInstant(filters.since, false);
  const until = filters.until === '' ? undefined : parseInstant(filters.until, true);
  const wrong = [
    ...(filters.since !== '' && since === undefined ? ['From'] : []),
    ...(filters.until !== '' && until === undefined ? ['To'] : []),
  ];
  const error =
    wrong.length > 0
      ? `${wrong.join(' and ')}: give a date (2026-03-01), a date-time with its zone (2026-03-01T09:30:00Z) or Unix seconds.`
      : since !== undefined && until !== undefined && since > until
        ? 'From is after To: no time lies between them.'
        : undefined;
  return { filters, cursor: one(query, 'cursor'), ...(error === undefined ? {} : { error }) };
}

function apiPath(filters: AuditFilters, limit: number, cursor: string): string {
  return `/audit?${filterQuery(filters, { limit: String(limit), ...(cursor === '' ? {} : { cursor }) })}`;
}

export function registerAuditPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  scope.get('/audit', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/audit');
    if (typeof person !== 'string') {
      return person;
    }
    const { filters, cursor, error: typed } = filtersOf(request);
    const page = (items: readonly AuditRow[], error?: string, next?: string) =>
      sendPage(reply, {
        title: 'Audit log',
        body: renderAuditLog({
          filters,
          items,
          ...(next === undefined ? {} : { next }),
          ...(error === undefined ? {} : { error }),
        }),
        ...(error === undefined ? {} : { status: 400 }),
        wide: true,
      });
    if (typed !== undefined) {
      return page([], typed);
    }
    const answer = await ctx.api(request, 'GET', apiPath(filters, 50, cursor));
    const error = formErrorOf(answer);
    if (answer.status !== 200 && error === undefined) {
      return sendApiRefusal(reply, answer, 'The audit log');
    }
    const after = answer.body.next;
    return page(
      (answer.body.items as AuditRow[] | undefined) ?? [],
      error,
      typeof after === 'string' ? `/console/audit?${filterQuery(filters, { cursor: after })}` : undefined,
    );
  });

  async function exportEvents(request: FastifyRequest, reply: FastifyReply, format: 'csv' | 'json') {
    const person = await ctx.gate(request, reply, '/audit');
    if (typeof person !== 'string') {
      return person;
    }
    const { filters, cursor: start, error } = filtersOf(request);
    if (error !== undefined) {
      return page400(reply, filters, error);
    }
    const items: AuditEventView[] = [];
    let cursor = start;
    for (let n = 0; n < EXPORT_PAGES; n++) {
      const answer = await ctx.api(request, 'GET', apiPath(filters, 100, cursor));
      const refused = formErrorOf(answer);
      if (refused !== undefined) {
        return page400(reply, filters, refused);
      }
      if (answer.status !== 200) {
        return sendApiRefusal(reply, answer, 'The audit log');
      }
      items.push(...((answer.body.items as AuditEventView[] | undefined) ?? []));
      cursor = typeof answer.body.next === 'string' ? answer.body.next : '';
      if (cursor === '') {
        break;
      }
    }
    if (cursor !== '') {
      reply.header(
        'link',
        `</console/audit/export.${format}?${filterQuery(filters, { cursor })}>; rel="next"`,
      );
    }
    reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="tessera-audit.${format}"`);
    return format === 'csv'
      ? reply.header('content-type', 'text/csv; charset=utf-8; header=present').send(toAuditCsv(items))
      : reply.send({ items, ...(cursor === '' ? {} : { next: cursor }) });
  }

  scope.get('/audit/export.csv', (request, reply) => exportEvents(request, reply, 'csv'));
  scope.get('/audit/export.json', (request, reply) => exportEvents(request, reply, 'json'));
}

function page400(reply: FastifyReply, filters: AuditFilters, error: string): FastifyReply {
  return sendPage(reply, {
    title: 'Audit log',
    body: renderAuditLog({ filters, items: [], error }),
    status: 400,
    wide: true,
  });
}
