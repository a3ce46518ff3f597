/**
 * 0003: signing keys carry the id of the master key that sealed them, so the server can open rows
 * sealed under the previous master key during a rotation and `tessera master-key rotate` can tell
 * which rows it has re-sealed. Existing rows get null: sealed before ids existed (tried with every
 * configured master key).
 */
import type { Kysely, Migration } from 'kysely';

export function signingKeyMasterKeyIdMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('signing_keys').addColumn('master_key_id', 'text').execute();
    },
  };
}
