/**
 * 0034: one row that `/readyz` writes (`Store.probeWrite`). `select 1` answers on a database that
 * cannot take a write: a PostgreSQL standby or a primary set read-only, a SQLite file turned
 * read-only. A node there answered "ready" while every token, key and revocation failed, so the load
 * balancer kept sending it traffic. Every node updates the same row, so it never grows.
 */
import type { Kysely, Migration } from 'kysely';

export function readinessProbeMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('readiness_probe')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('checked_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
