/**
 * 0022: usage counters for the console's charts (`GET /admin/stats`): one row per minute, name and
 * label, added to by every node's flush (audit/stats-counters.ts), so the nodes' counts sum up.
 * Rows older than the retention are purged by the maintenance job.
 */
import type { Kysely, Migration } from 'kysely';

export function statCountsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('stat_counts')
        .addColumn('bucket', 'bigint', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('stat_counts_pk', ['bucket', 'name', 'label'])
        .execute();
    },
  };
}
