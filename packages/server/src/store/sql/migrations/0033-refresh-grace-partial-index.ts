/**
 * 0033: `refresh_tokens_grace_until` (0005) becomes a partial index over the rows that keep a sealed
 * successor, like 0030's. Its one reader, the purge of sealed copies whose reuse grace ended
 * (`successor_sealed is not null and grace_until <= ?`), only wants those rows; as a full index it
 * held an entry for every token, so each of a rotation's three statements changed it (the
 * successor's INSERT added a null entry, marking the predecessor used moved its entry, dropping the
 * sealed copy moved it back). Now only a rotation within a grace adds an entry, and dropping the
 * copy removes it.
 */
import { type Kysely, type Migration, sql } from 'kysely';

export function refreshGracePartialIndexMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('refresh_tokens_grace_until').execute();
      await db.schema
        .createIndex('refresh_tokens_grace_until')
        .on('refresh_tokens')
        .column('grace_until')
        .where(sql.ref('successor_sealed'), 'is not', null)
        .execute();
    },
  };
}
