/**
 * `/console/risk`: the risk decisions of sign-in, read from the admin API
 * (`GET /admin/risk/decisions`, scope `risk:read`) via the BFF proxy with the person's token. The
 * filters are a GET form; a day that is not `YYYY-MM-DD` is refused here with the form kept.
 */
import type { FastifyInstance } from 'fastify';
import { sendPage } from '../pages/layout.js';
import { type ConsoleContext, formErrorOf, sendApiRefusal } from './console-context.js';
import { type RiskDecisionRow, type RiskFilters, renderRiskDecisions } from './risk-pages.js';

const DAY = 86_400;

/** A UTC day's first second, or undefined when `text` is not a real `YYYY-MM-DD` day. */
function dayStart(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    return undefined;
  }
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text ? undefined : ms / 1000;
}

function one(query: Record<string, unknown>, name: string): string {
  const value = query[name];
  return typeof value === 'string' ? value.trim() : '';
}

export function registerRiskPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  scope.get('/risk', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/risk');
    if (typeof person !== 'string') {
      return person;
    }
    const query = (request.query ?? {}) as Record<string, unknown>;
    const filters: RiskFilters = {
      user_id: one(query, 'user_id'),
      decision: one(query, 'decision'),
      since: one(query, 'since'),
      until: one(query, 'until'),
    };
    const since = filters.since === '' ? undefined : dayStart(filters.since);
    const until = filters.until === '' ? undefined : dayStart(filters.until);
    if ((filters.since !== '' && since === undefined) || (filters.until !== '' && until === undefined)) {
      const error = 'Give each day as YYYY-MM-DD.';
      return sendPage(reply, {
        title: 'Risk decisions',
        body: renderRiskDecisions({ filters, items: [], error }),
        status: 400,
        wide: true,
      });
    }
    const params = new URLSearchParams({ limit: '50' });
    for (const [name, value] of [
      ['user_id', filters.user_id],
      ['decision', filters.decision],
      ['since', since === undefined ? '' : String(since)],
      ['until', until === undefined ? '' : String(until + DAY - 1)],
      ['cursor', one(query, 'cursor')],
    ] as const) {
      if (value !== '') {
        params.set(name, value);
      }
    }
    const answer = await ctx.api(request, 'GET', `/risk/decisions?${params.toString()}`);
    const error = formErrorOf(answer);
    if (answer.status !== 200 && error === undefined) {
      return sendApiRefusal(reply, answer, 'The list');
    }
    const cursor = answer.body.next;
    const next =
      typeof cursor === 'string'
        ? `/console/risk?${new URLSearchParams(
            Object.entries({ ...filters, cursor }).filter(([, value]) => value !== ''),
          ).toString()}`
        : undefined;
    return sendPage(reply, {
      title: 'Risk decisions',
      body: renderRiskDecisions({
        filters,
        items: (answer.body.items as RiskDecisionRow[] | undefined) ?? [],
        ...(next === undefined ? {} : { next }),
        ...(error === undefined ? {} : { error }),
      }),
      ...(error === undefined ? {} : { status: 400 }),
      wide: true,
    });
  });
}
