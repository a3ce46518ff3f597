/**
 * 0015: the admin role of a person. `admin_scopes` holds the admin scopes the person may use in the
 * console (space-separated, the vocabulary of tokens/admin-tokens/scopes.ts); null for a person who
 * is not an operator.
 */
import type { Kysely, Migration } from 'kysely';

export function userAdminScopesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('users').addColumn('admin_scopes', 'text').execute();
    },
  };
}
