/**
 * 0020: server-wide secrets (one row per name), each sealed with the master key and carrying the id
 * of the key that sealed it, so master-key rotation re-seals them with the signing keys. The first
 * is the pairwise subject key (OpenID Connect Core §8.1).
 */
import type { Kysely, Migration } from 'kysely';

export function serverSecretsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('server_secrets')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('sealed', 'text', (c) => c.notNull())
        .addColumn('master_key_id', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
