/**
 * 0029: OpenID Shared Signals Framework streams and their queued Security Event Tokens (RFC 8417,
 * delivered by RFC 8936 poll). One stream per receiving client, gone with the client; a SET stays
 * until the receiver acknowledges it or its retention ends (`expires_at`), and goes with its stream.
 */
import type { Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../context.js';

export function ssfMigration(dialect: SqlDialectName): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('ssf_streams')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) =>
          c.notNull().unique().references('clients.id').onDelete('cascade'),
        )
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      const sets = db.schema.createTable('ssf_sets');
      await (dialect === 'postgres'
        ? sets.addColumn('id', 'bigserial', (c) => c.primaryKey())
        : sets.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      )
        .addColumn('stream_id', 'text', (c) => c.notNull().references('ssf_streams.id').onDelete('cascade'))
        .addColumn('jti', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('ssf_sets_stream_jti', ['stream_id', 'jti'])
        .execute();
      await db.schema.createIndex('ssf_sets_expires_at').on('ssf_sets').column('expires_at').execute();
    },
  };
}
