/**
 * 0032: a session's token-use state (continuous authentication, docs/risk.md), shared by every
 * node so a session's uses are scored together whichever node receives them: `state` is
 * `@tessera/risk`'s session snapshot (JSON), `applied` the use groups already scored into it,
 * `version` the optimistic-concurrency counter. No foreign key to `sessions`: a record outlives its
 * session only until the maintenance job's next pass, which deletes it with `expires_at` (the
 * session's absolute lifetime) or when the session is gone.
 */
import type { Kysely, Migration } from 'kysely';

export function sessionUsageMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('session_usage')
        .addColumn('sid', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('applied', 'text', (c) => c.notNull())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('session_usage_expires_at')
        .on('session_usage')
        .column('expires_at')
        .execute();
    },
  };
}
