/**
 * 0009: DPoP (RFC 9449). A public client's refresh token remembers the key thumbprint it is bound
 * to (§5), a client can require DPoP-bound access tokens (`dpop_bound_access_tokens`, §5.2), and
 * an API key can be bound to a DPoP key (`--bind-jkt`), and an authorization code to the
 * `dpop_jkt` of its request (§10).
 * Proof `jti`s use the existing `replay_keys` table.
 */
import type { Kysely, Migration } from 'kysely';

export function dpopMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('refresh_tokens').addColumn('dpop_jkt', 'text').execute();
      await db.schema
        .alterTable('clients')
        .addColumn('dpop_bound_access_tokens', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('api_keys').addColumn('dpop_jkt', 'text').execute();
      await db.schema.alterTable('authorization_codes').addColumn('dpop_jkt', 'text').execute();
    },
  };
}
