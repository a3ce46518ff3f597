/**
 * `store/sql` owns the one Kysely implementation of every storage port (STYLE §9.5), for SQLite and
 * PostgreSQL alike. It may import `kysely` and `ports.ts`; the dialect folders build the `Kysely`
 * instance it is given. One file per aggregate; `database.ts` holds the row types.
 */
import { type Kysely, sql } from 'kysely';
import type { Store } from '../ports.js';
import { accessTokenStore } from './access-tokens.js';
import { adminTokenStore } from './admin-tokens.js';
import { apiKeyStore } from './api-keys.js';
import { attemptStore } from './attempts.js';
import { auditStore } from './audit.js';
import { authorizationCodeStore } from './authorization-codes.js';
import { clientStore } from './clients.js';
import { consentStore } from './consents.js';
import type { SqlContext, SqlDialectName } from './context.js';
import type { Database } from './database.js';
import { deviceAuthorizationStore } from './device-authorizations.js';
import { linkedIdentifierStore } from './linked-identifiers.js';
import { mfaStore } from './mfa.js';
import { migrateToLatest } from './migrate.js';
import { passkeyStore } from './passkeys.js';
import { rateLimitStore } from './rate-limits.js';
import { refreshTokenStore } from './refresh-tokens.js';
import { replayStore } from './replay.js';
import { revocationStore } from './revocations.js';
import { riskStateStore } from './risk-state.js';
import { serverSecretStore } from './server-secrets.js';
import { sessionUsageStore } from './session-usage.js';
import { sessionStore } from './sessions.js';
import { signingKeyStore } from './signing-keys.js';
import { ssfStore } from './ssf.js';
import { statsStore } from './stat-counts.js';
import { subjectChoiceStore } from './subject-choices.js';
import { userStore } from './users.js';

function buildStore(ctx: SqlContext, onClose: () => Promise<void>): Store {
  const store: Store = {
    dialect: ctx.dialect,
    ...clientStore(ctx),
    ...signingKeyStore(ctx),
    ...serverSecretStore(ctx),
    ...riskStateStore(ctx),
    ...sessionUsageStore(ctx),
    ...revocationStore(ctx),
    ...accessTokenStore(ctx),
    ...apiKeyStore(ctx),
    ...userStore(ctx),
    ...sessionStore(ctx),
    ...passkeyStore(ctx),
    ...linkedIdentifierStore(ctx),
    ...subjectChoiceStore(ctx),
    ...ssfStore(ctx),
    ...consentStore(ctx),
    ...authorizationCodeStore(ctx),
    ...deviceAuthorizationStore(ctx),
    ...refreshTokenStore(ctx),
    ...replayStore(ctx),
    ...rateLimitStore(ctx),
    ...attemptStore(ctx),
    ...auditStore(ctx),
    ...statsStore(ctx),
    ...adminTokenStore(ctx),
    ...mfaStore(ctx),

    async migrate() {
      if (ctx.inTransaction) {
        throw new Error('migrate() cannot run inside a transaction');
      }
      return migrateToLatest(ctx.db, ctx.dialect);
    },

    transaction(fn) {
      if (ctx.inTransaction) {
        // Already in one: nested work joins it.
        return fn(store);
      }
      return ctx.db
        .transaction()
        .execute((trx) => fn(buildStore({ db: trx, dialect: ctx.dialect, inTransaction: true }, onClose)));
    },

    async ping() {
      await sql`select 1`.execute(ctx.db);
    },

    async probeWrite(at) {
      await ctx.db
        .insertInto('readiness_probe')
        .values({ id: 1, checked_at: at })
        .onConflict((oc) => oc.column('id').doUpdateSet({ checked_at: at }))
        .execute();
    },

    async close() {
      if (ctx.inTransaction) {
        throw new Error('close() cannot run inside a transaction');
      }
      await onClose();
    },
  };
  return store;
}

/**
 * The whole {@link Store} over a Kysely instance. On SQLite the instance must come from
 * `openSqlite` (its transactions start `BEGIN IMMEDIATE`); `close()` destroys the instance.
 */
export function createSqlStore(db: Kysely<Database>, dialect: SqlDialectName): Store {
  return buildStore({ db, dialect, inTransaction: false }, () => db.destroy());
}
