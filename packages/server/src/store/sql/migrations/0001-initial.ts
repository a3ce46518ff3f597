/**
 * 0001: every table of the first release. Both dialects share it; the only difference is how an
 * auto-increment id is spelled. Never edit a released migration: add `0002-….ts` instead.
 */
import type { Kysely, Migration } from 'kysely';
import type { SqlDialectName } from '../context.js';

export function initialMigration(dialect: SqlDialectName): Migration {
  // BIGINT has INTEGER affinity in SQLite, so one spelling serves both dialects.
  const time = 'bigint';
  const flag = 'integer';

  function serialTable(db: Kysely<unknown>, table: string) {
    const builder = db.schema.createTable(table);
    return dialect === 'postgres'
      ? builder.addColumn('id', 'bigserial', (c) => c.primaryKey())
      : builder.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  }

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('clients')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('grant_types', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('default_scope', 'text', (c) => c.notNull())
        .addColumn('audiences', 'text', (c) => c.notNull())
        .addColumn('redirect_uris', 'text', (c) => c.notNull())
        .addColumn('post_logout_redirect_uris', 'text', (c) => c.notNull())
        .addColumn('token_endpoint_auth_method', 'text', (c) => c.notNull())
        .addColumn('token_format', 'text', (c) => c.notNull())
        .addColumn('access_token_ttl', time)
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('jwks', 'text')
        .addColumn('jwks_uri', 'text')
        .addColumn('first_party', flag, (c) => c.notNull())
        .addColumn('permissions', 'text', (c) => c.notNull())
        .addColumn('disabled', flag, (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('updated_at', time, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('clients_created_at_id')
        .on('clients')
        .columns(['created_at', 'id'])
        .execute();

      await db.schema
        .createTable('client_secrets')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id').onDelete('cascade'))
        .addColumn('start', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('expires_at', time)
        .execute();
      await db.schema
        .createIndex('client_secrets_client_id')
        .on('client_secrets')
        .column('client_id')
        .execute();

      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('sealed_private_key', 'text', (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('activates_at', time, (c) => c.notNull())
        .addColumn('retired_at', time)
        .addColumn('expires_at', time)
        .execute();

      await serialTable(db, 'revocations')
        .addColumn('target_type', 'text', (c) => c.notNull())
        .addColumn('target_value', 'text', (c) => c.notNull())
        .addColumn('revoked_at', time, (c) => c.notNull())
        .addColumn('expires_at', time, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('revocations_expires_at').on('revocations').column('expires_at').execute();

      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text')
        .addColumn('email_verified', flag, (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('disabled', flag, (c) => c.notNull())
        .addColumn('tokens_valid_after', time, (c) => c.notNull())
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('updated_at', time, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('users_created_at_id').on('users').columns(['created_at', 'id']).execute();

      await db.schema
        .createTable('access_tokens')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('jti', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id').onDelete('cascade'))
        // A user id or, for client credentials, a client id: no foreign key.
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('audience', 'text', (c) => c.notNull())
        .addColumn('claims', 'text', (c) => c.notNull())
        .addColumn('grant_id', 'text')
        .addColumn('issued_at', time, (c) => c.notNull())
        .addColumn('expires_at', time, (c) => c.notNull())
        .addColumn('revoked_at', time)
        .execute();
      await db.schema
        .createIndex('access_tokens_client_id')
        .on('access_tokens')
        .column('client_id')
        .execute();
      await db.schema.createIndex('access_tokens_subject').on('access_tokens').column('subject').execute();
      await db.schema.createIndex('access_tokens_grant_id').on('access_tokens').column('grant_id').execute();
      await db.schema
        .createIndex('access_tokens_expires_at')
        .on('access_tokens')
        .column('expires_at')
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('start', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        // A client id or a user id: no foreign key.
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('audiences', 'text', (c) => c.notNull())
        .addColumn('meta', 'text', (c) => c.notNull())
        .addColumn('rate_limit', 'text')
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('updated_at', time, (c) => c.notNull())
        .addColumn('expires_at', time)
        .addColumn('disabled', flag, (c) => c.notNull())
        .addColumn('revoked_at', time)
        .addColumn('replaced_by', 'text')
        .addColumn('last_used_at', time)
        .addColumn('usage_count', time, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('api_keys_owner_created_at_id')
        .on('api_keys')
        .columns(['owner', 'created_at', 'id'])
        .execute();
      await db.schema
        .createIndex('api_keys_created_at_id')
        .on('api_keys')
        .columns(['created_at', 'id'])
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('auth_time', time, (c) => c.notNull())
        .addColumn('amr', 'text', (c) => c.notNull())
        .addColumn('acr', 'text')
        .addColumn('created_at', time, (c) => c.notNull())
        .addColumn('last_seen_at', time, (c) => c.notNull())
        .addColumn('expires_at', time, (c) => c.notNull())
        .addColumn('user_agent', 'text')
        .addColumn('ip', 'text')
        .execute();
      await db.schema
        .createIndex('sessions_user_id_created_at_id')
        .on('sessions')
        .columns(['user_id', 'created_at', 'id'])
        .execute();
      await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();

      await db.schema
        .createTable('consents')
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id').onDelete('cascade'))
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('granted_at', time, (c) => c.notNull())
        .addPrimaryKeyConstraint('consents_pk', ['user_id', 'client_id'])
        .execute();
      await db.schema.createIndex('consents_client_id').on('consents').column('client_id').execute();

      // `session_id` has no foreign key on purpose: logout deletes the session and then revokes the
      // tokens by session id, which must still find them.
      await db.schema
        .createTable('authorization_codes')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('session_id', 'text')
        .addColumn('redirect_uri', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('audience', 'text', (c) => c.notNull())
        .addColumn('code_challenge', 'text')
        .addColumn('code_challenge_method', 'text')
        .addColumn('nonce', 'text')
        .addColumn('auth_time', time, (c) => c.notNull())
        .addColumn('amr', 'text', (c) => c.notNull())
        .addColumn('acr', 'text')
        .addColumn('grant_id', 'text', (c) => c.notNull())
        .addColumn('issued_at', time, (c) => c.notNull())
        .addColumn('expires_at', time, (c) => c.notNull())
        .addColumn('consumed_at', time)
        .execute();
      await db.schema
        .createIndex('authorization_codes_client_id')
        .on('authorization_codes')
        .column('client_id')
        .execute();
      await db.schema
        .createIndex('authorization_codes_user_id')
        .on('authorization_codes')
        .column('user_id')
        .execute();
      await db.schema
        .createIndex('authorization_codes_expires_at')
        .on('authorization_codes')
        .column('expires_at')
        .execute();

      await db.schema
        .createTable('refresh_tokens')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('family_id', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('session_id', 'text')
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('audience', 'text', (c) => c.notNull())
        .addColumn('auth_time', time, (c) => c.notNull())
        .addColumn('amr', 'text', (c) => c.notNull())
        .addColumn('acr', 'text')
        .addColumn('issued_at', time, (c) => c.notNull())
        .addColumn('expires_at', time, (c) => c.notNull())
        .addColumn('family_expires_at', time, (c) => c.notNull())
        .addColumn('used_at', time)
        .addColumn('revoked_at', time)
        .execute();
      await db.schema
        .createIndex('refresh_tokens_family_id')
        .on('refresh_tokens')
        .column('family_id')
        .execute();
      await db.schema
        .createIndex('refresh_tokens_client_id')
        .on('refresh_tokens')
        .column('client_id')
        .execute();
      await db.schema.createIndex('refresh_tokens_user_id').on('refresh_tokens').column('user_id').execute();
      await db.schema
        .createIndex('refresh_tokens_session_id')
        .on('refresh_tokens')
        .column('session_id')
        .execute();
      await db.schema
        .createIndex('refresh_tokens_expires_at')
        .on('refresh_tokens')
        .column('expires_at')
        .execute();
      await db.schema
        .createIndex('refresh_tokens_family_expires_at')
        .on('refresh_tokens')
        .column('family_expires_at')
        .execute();

      await db.schema
        .createTable('replay_keys')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', time, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('replay_keys_expires_at').on('replay_keys').column('expires_at').execute();

      await serialTable(db, 'audit_events')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('subject', 'text')
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('at', time, (c) => c.notNull())
        .addColumn('request_id', 'text')
        .execute();
      await db.schema
        .createIndex('audit_events_type_id')
        .on('audit_events')
        .columns(['type', 'id'])
        .execute();
      await db.schema
        .createIndex('audit_events_subject_id')
        .on('audit_events')
        .columns(['subject', 'id'])
        .execute();
    },
  };
}
