/**
 * `GET /admin/stats?range=hour|day|week`: the usage counters (audit/stats-counters.ts) of every node
 * as time series for the console's charts: per name and label, the count in each bucket (1 minute
 * for the last hour, 15 minutes for the last day, 2 hours for the last week), the current bucket
 * last. This node's counts not yet written are flushed first, so its own latest calls show at once;
 * other nodes' show after their next flush (a few seconds). Scope `stats:read`.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { STAT_NAMES, type StatsCounters } from '../../audit/stats-counters.js';
import type { Clock } from '../../clock.js';
import type { StatsStore } from '../../store/ports.js';
import { describeRoute } from './openapi.js';

/** Each range: its bucket size and how many buckets it spans. */
export const STAT_RANGES = {
  hour: { bucketSeconds: 60, buckets: 60 },
  day: { bucketSeconds: 900, buckets: 96 },
  week: { bucketSeconds: 7200, buckets: 84 },
} as const;

export type StatRange = keyof typeof STAT_RANGES;

const query = z.strictObject({ range: z.enum(['hour', 'day', 'week']).optional() });

const seriesSchema = z.object({
  name: z.enum(STAT_NAMES),
  label: z.string().meta({
    description:
      'tokens_issued: grant type; api_key_verifications: valid or the reason; introspections: HTTP status; revocations: what was revoked; rejections: error code; rate_limited: route; risk_decisions: decision',
  }),
  total: z.int(),
  counts: z.array(z.int()).meta({ description: 'One count per bucket, aligned with `buckets`' }),
});

export const statsSchema = z.object({
  range: z.enum(['hour', 'day', 'week']),
  bucket_seconds: z.int(),
  from: z.int().meta({ description: 'Unix seconds: the first bucket starts here' }),
  until: z.int().meta({ description: 'Unix seconds: the last bucket (the current one) ends here' }),
  buckets: z.array(z.int()).meta({ description: 'Each bucket’s first second (Unix seconds), oldest first' }),
  series: z.array(seriesSchema),
});

export type StatsView = z.infer<typeof statsSchema>;

export interface StatsRouteDeps {
  store: Pick<StatsStore, 'listStatCounts'>;
  stats: Pick<StatsCounters, 'flush'>;
  clock: Pick<Clock, 'now'>;
}

/** The series of `range` ending with the bucket that holds `now`. */
export async function readStats(deps: StatsRouteDeps, range: StatRange): Promise<StatsView> {
  const { bucketSeconds, buckets } = STAT_RANGES[range];
  const now = deps.clock.now();
  const until = now - (now % bucketSeconds) + bucketSeconds;
  const from = until - buckets * bucketSeconds;
  await deps.stats.flush();
  const rows = await deps.store.listStatCounts({ since: from, until, bucketSeconds });
  const series = new Map<string, StatsView['series'][number]>();
  for (const row of rows) {
    const name = row.name as StatsView['series'][number]['name'];
    if (!STAT_NAMES.includes(name)) {
      continue;
    }
    const key = `${row.name} ${row.label}`;
    let item = series.get(key);
    if (item === undefined) {
      item = { name, label: row.label, total: 0, counts: new Array<number>(buckets).fill(0) };
      series.set(key, item);
    }
    const index = (row.bucket - from) / bucketSeconds;
    item.counts[index] = (item.counts[index] ?? 0) + row.count;
    item.total += row.count;
  }
  return {
    range,
    bucket_seconds: bucketSeconds,
    from,
    until,
    buckets: Array.from({ length: buckets }, (_, i) => from + i * bucketSeconds),
    series: [...series.values()].sort(
      (a, b) => STAT_NAMES.indexOf(a.name) - STAT_NAMES.indexOf(b.name) || a.label.localeCompare(b.label),
    ),
  };
}

export function registerStatsRoutes(admin: FastifyInstance, deps: StatsRouteDeps): void {
  admin.get(
    '/stats',
    describeRoute({
      summary:
        'Usage over the last hour, day or week: tokens, verifications, rejections, 429s, revocations, risk',
      tags: ['stats'],
      querystring: query,
      responses: { 200: statsSchema },
      errors: [400],
    }),
    async (request) => {
      const parsed = query.safeParse(request.query ?? {});
      if (!parsed.success) {
        throw OAuthError.invalidRequest('Invalid query: range must be hour, day or week');
      }
      return readStats(deps, parsed.data.range ?? 'day');
    },
  );
}
