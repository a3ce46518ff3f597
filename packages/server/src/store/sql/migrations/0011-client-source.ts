/**
 * 0011: where a client record comes from. NULL for a registered client; `did` or
 * `metadata_document` for the row that anchors an unregistered client's authorization codes,
 * consents and refresh tokens (their foreign keys name a client row). Such a row never supplies
 * the client's metadata: the client registry resolves the id again (DID document, Client ID
 * Metadata Document); the row only holds what an admin decided (disabled = blocked).
 * Also the SHA-256 of a dynamically registered client's registration access token (RFC 7592 §3).
 */
import type { Kysely, Migration } from 'kysely';

export function clientSourceMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('clients').addColumn('source', 'text').execute();
      await db.schema.alterTable('clients').addColumn('registration_token_hash', 'text').execute();
    },
  };
}
