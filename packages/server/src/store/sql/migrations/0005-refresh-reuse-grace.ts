/**
 * 0003: the refresh-token reuse grace (RFC 9700 §4.14.2). A rotated token remembers its successor
 * (by hash) and, for the grace window only, the successor itself sealed under the master key, so a
 * client whose response was lost can present the old token again and get the same successor back
 * instead of revoking its family.
 */
import type { Kysely, Migration } from 'kysely';

export function refreshReuseGraceMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('refresh_tokens').addColumn('successor_hash', 'text').execute();
      await db.schema.alterTable('refresh_tokens').addColumn('successor_sealed', 'text').execute();
      // BIGINT has INTEGER affinity in SQLite, so one spelling serves both dialects.
      await db.schema.alterTable('refresh_tokens').addColumn('grace_until', 'bigint').execute();
      await db.schema
        .createIndex('refresh_tokens_grace_until')
        .on('refresh_tokens')
        .column('grace_until')
        .execute();
    },
  };
}
