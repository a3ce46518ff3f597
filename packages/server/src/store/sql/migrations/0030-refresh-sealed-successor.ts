/**
 * 0030: a partial index on `refresh_tokens.successor_hash` over the rows that still keep a sealed
 * successor (the reuse grace, RFC 9700 §4.14.2). Every rotation drops the sealed copy its
 * predecessor kept (the row whose `successor_hash` is the token just used); without this index
 * that lookup went through `refresh_tokens_family_id` and read the whole family, so a rotation cost
 * more the longer its family had lived. Only rows within their grace are in the index, so it stays
 * small, and both SQLite and PostgreSQL use it for that `UPDATE`.
 */
import { type Kysely, type Migration, sql } from 'kysely';

export function refreshSealedSuccessorMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex('refresh_tokens_sealed_successor')
        .on('refresh_tokens')
        .column('successor_hash')
        .where(sql.ref('successor_sealed'), 'is not', null)
        .execute();
    },
  };
}
