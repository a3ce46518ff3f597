/**
 * 0019: a client's `subject_type` (`public` or `pairwise`, OpenID Connect Core §8) and
 * `sector_identifier_uri` (OpenID Connect Dynamic Client Registration §2, §5).
 */
import type { Kysely, Migration } from 'kysely';

export function clientSubjectTypeMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('clients')
        .addColumn('subject_type', 'text', (column) => column.notNull().defaultTo('public'))
        .execute();
      await db.schema.alterTable('clients').addColumn('sector_identifier_uri', 'text').execute();
    },
  };
}
