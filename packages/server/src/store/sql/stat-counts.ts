/**
 * Usage counters per minute (the console's charts): additive upserts, so every node's flush adds to
 * the same rows, and reads that sum rows into coarser buckets in SQL.
 */
import { sql } from 'kysely';
import type { StatCount, StatsStore } from '../ports.js';
import { batchLimit } from './batch-limit.js';
import { atomic, count, type SqlContext } from './context.js';

/** Rows per insert statement: 4 parameters each stays far below either dialect's limit. */
const CHUNK = 500;

/** One row per (bucket, name, label): a statement may not touch the same row twice (PostgreSQL). */
function merged(counts: readonly StatCount[]): StatCount[] {
  const byKey = new Map<string, StatCount>();
  for (const item of counts) {
    if (!Number.isSafeInteger(item.bucket) || !Number.isSafeInteger(item.count) || item.count < 0) {
      throw new RangeError('stat counts need whole-number buckets and non-negative whole counts');
    }
    if (item.count === 0) {
      continue;
    }
    const key = `${item.bucket}\u0000${item.name}\u0000${item.label}`;
    const seen = byKey.get(key);
    byKey.set(key, seen === undefined ? { ...item } : { ...seen, count: seen.count + item.count });
  }
  return [...byKey.values()];
}

export function statsStore(ctx: SqlContext): StatsStore {
  return {
    async addStatCounts(counts) {
      const rows = merged(counts);
      if (rows.length === 0) {
        return;
      }
      await atomic(ctx, async (db) => {
        for (let start = 0; start < rows.length; start += CHUNK) {
          await db
            .insertInto('stat_counts')
            .values(rows.slice(start, start + CHUNK))
            .onConflict((oc) =>
              oc
                .columns(['bucket', 'name', 'label'])
                .doUpdateSet((eb) => ({ count: eb('stat_counts.count', '+', eb.ref('excluded.count')) })),
            )
            .execute();
        }
      });
    },

    async listStatCounts({ since, until, bucketSeconds }) {
      if (!Number.isSafeInteger(bucketSeconds) || bucketSeconds < 1) {
        throw new RangeError('bucketSeconds must be a positive whole number');
      }
      // A literal (checked above), so the grouped expression is the selected one in both dialects.
      const slot = sql<number>`(${sql.ref('bucket')} / ${sql.lit(bucketSeconds)}) * ${sql.lit(bucketSeconds)}`;
      const rows = await ctx.db
        .selectFrom('stat_counts')
        .select([slot.as('slot'), 'name', 'label', (eb) => eb.fn.sum<number>('count').as('total')])
        .where('bucket', '>=', since)
        .where('bucket', '<', until)
        .groupBy([slot, 'name', 'label'])
        .orderBy(slot)
        .orderBy('name')
        .orderBy('label')
        .execute();
      return rows.map((row) => ({
        bucket: Number(row.slot),
        name: row.name,
        label: row.label,
        count: Number(row.total),
      }));
    },

    async purgeStatCountsBefore(before, limit) {
      const result = await ctx.db
        .deleteFrom('stat_counts')
        .where('bucket', '<', before)
        .$if(limit !== undefined, (query) =>
          query.where((eb) =>
            eb(
              eb.refTuple('bucket', 'name', 'label'),
              'in',
              eb
                .selectFrom('stat_counts')
                .select(['bucket', 'name', 'label'])
                .where('bucket', '<', before)
                .limit(batchLimit(limit))
                .$asTuple('bucket', 'name', 'label'),
            ),
          ),
        )
        .executeTakeFirst();
      return count(result.numDeletedRows);
    },
  };
}
