/**
 * 0010: device authorization requests (RFC 8628 §3.1–3.5). The device code and the user code are
 * stored only as SHA-256 hashes, plus the user code's first half to find it by (so wrong guesses at
 * one code can be counted against it, RFC 8628 §5.1); `status` moves pending → approved | denied → consumed in
 * conditional updates, so a device code yields tokens once.
 */
import type { Kysely, Migration } from 'kysely';

export function deviceAuthorizationsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('device_authorizations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('device_code_hash', 'text', (c) => c.notNull().unique())
        .addColumn('user_code_prefix', 'text', (c) => c.notNull())
        .addColumn('user_code_hash', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('audience', 'text', (c) => c.notNull())
        .addColumn('device_info', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('session_id', 'text')
        .addColumn('auth_time', 'bigint')
        .addColumn('amr', 'text', (c) => c.notNull())
        .addColumn('acr', 'text')
        .addColumn('interval', 'integer', (c) => c.notNull())
        .addColumn('last_polled_at', 'bigint')
        .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('device_authorizations_user_code_prefix')
        .on('device_authorizations')
        .column('user_code_prefix')
        .execute();
      await db.schema
        .createIndex('device_authorizations_expires_at')
        .on('device_authorizations')
        .column('expires_at')
        .execute();
    },
  };
}
