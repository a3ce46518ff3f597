/**
 * 0014: a client's `id_token_signed_response_alg` (OpenID Connect Dynamic Client Registration 1.0
 * §2); null means the server's `oidc.idTokenAlgorithm`.
 */
import type { Kysely, Migration } from 'kysely';

export function idTokenAlgMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('clients').addColumn('id_token_signed_response_alg', 'text').execute();
    },
  };
}
