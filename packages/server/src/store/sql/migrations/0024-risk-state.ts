/**
 * 0024: the risk engine's state, shared by every node (docs/risk.md, "State"): one row per person
 * with their history (`data`: the versioned string of `@tessera/risk`'s profile codec; `version`:
 * the optimistic-concurrency counter, not the format), gone with the person; and the global tables
 * as named sums that nodes add their deltas to (`updated_at` lets a node reload only what changed).
 */
import type { Kysely, Migration } from 'kysely';

export function riskStateMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('risk_profiles')
        .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('risk_global')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('risk_global_updated_at').on('risk_global').column('updated_at').execute();
    },
  };
}
