/**
 * 0017: identifiers a person signs in with besides their username (wallets as `did:pkh`, DIDs),
 * each linked to at most one person and gone with the person. People who signed up with Sign-In
 * with Ethereum before this migration (their user id is their `did:pkh`) get their wallet as a
 * linked identifier, so one table answers "whose wallet is this".
 */
import { type Kysely, type Migration, sql } from 'kysely';

export function linkedIdentifiersMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('linked_identifiers')
        .addColumn('identifier', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('linked_identifiers_user_id')
        .on('linked_identifiers')
        .columns(['user_id', 'created_at'])
        .execute();
      await sql`insert into linked_identifiers (identifier, user_id, method, created_at)
        select id, id, 'siwe', created_at from users where id like 'did:pkh:%'`.execute(db);
    },
  };
}
