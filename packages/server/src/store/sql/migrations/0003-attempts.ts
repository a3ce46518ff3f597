/**
 * 0003: attempt counters with backoff (login guesses per username and per IP, failed client
 * authentication per client id). One row per key, taken with one conditional upsert so every node
 * and every worker sharing the database sees the same count and the same wait.
 */
import type { Kysely, Migration } from 'kysely';

export function attemptsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('attempts')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addColumn('backoff', 'bigint', (c) => c.notNull())
        .addColumn('next_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('attempts_expires_at').on('attempts').column('expires_at').execute();
    },
  };
}
