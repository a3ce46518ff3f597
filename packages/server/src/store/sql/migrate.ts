/**
 * Runs the numbered migrations with a static provider: no filesystem scanning, so the same code
 * works from `src` under vitest and from `dist` after `tsc`.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { SqlDialectName } from './context.js';
import type { Database } from './database.js';
import { initialMigration } from './migrations/0001-initial.js';
import { rateLimitsMigration } from './migrations/0002-rate-limits.js';
import { attemptsMigration } from './migrations/0003-attempts.js';
import { signingKeyMasterKeyIdMigration } from './migrations/0004-signing-key-master-key-id.js';
import { refreshReuseGraceMigration } from './migrations/0005-refresh-reuse-grace.js';
import { adminTokensMigration } from './migrations/0006-admin-tokens.js';
import { mfaMigration } from './migrations/0007-mfa.js';
import { passkeysMigration } from './migrations/0008-passkeys.js';
import { dpopMigration } from './migrations/0009-dpop.js';
import { deviceAuthorizationsMigration } from './migrations/0010-device-authorizations.js';
import { clientSourceMigration } from './migrations/0011-client-source.js';
import { idTokenAlgMigration } from './migrations/0014-client-id-token-alg.js';
import { userAdminScopesMigration } from './migrations/0015-user-admin-scopes.js';
import { linkedIdentifiersMigration } from './migrations/0017-linked-identifiers.js';
import { clientSubjectTypeMigration } from './migrations/0019-client-subject-type.js';
import { serverSecretsMigration } from './migrations/0020-server-secrets.js';
import { auditActorTimeMigration } from './migrations/0021-audit-actor-time.js';
import { statCountsMigration } from './migrations/0022-stat-counts.js';
import { riskStateMigration } from './migrations/0024-risk-state.js';
import { apiKeyAnomaliesMigration } from './migrations/0025-api-key-anomalies.js';
import { subjectChoicesMigration } from './migrations/0027-subject-choices.js';
import { ssfMigration } from './migrations/0029-ssf.js';
import { refreshSealedSuccessorMigration } from './migrations/0030-refresh-sealed-successor.js';
import { sessionUsageMigration } from './migrations/0032-session-usage.js';
import { refreshGracePartialIndexMigration } from './migrations/0033-refresh-grace-partial-index.js';
import { readinessProbeMigration } from './migrations/0034-readiness-probe.js';

export function migrations(dialect: SqlDialectName): Record<string, Migration> {
  return {
    '0001-initial': initialMigration(dialect),
    '0002-rate-limits': rateLimitsMigration(),
    '0003-attempts': attemptsMigration(),
    '0004-signing-key-master-key-id': signingKeyMasterKeyIdMigration(),
    '0005-refresh-reuse-grace': refreshReuseGraceMigration(),
    '0006-admin-tokens': adminTokensMigration(),
    '0007-mfa': mfaMigration(),
    '0008-passkeys': passkeysMigration(),
    '0009-dpop': dpopMigration(),
    '0010-device-authorizations': deviceAuthorizationsMigration(),
    '0011-client-source': clientSourceMigration(),
    '0014-client-id-token-alg': idTokenAlgMigration(),
    '0015-user-admin-scopes': userAdminScopesMigration(),
    '0017-linked-identifiers': linkedIdentifiersMigration(),
    '0019-client-subject-type': clientSubjectTypeMigration(),
    '0020-server-secrets': serverSecretsMigration(),
    '0021-audit-actor-time': auditActorTimeMigration(),
    '0022-stat-counts': statCountsMigration(),
    '0024-risk-state': riskStateMigration(),
    '0025-api-key-anomalies': apiKeyAnomaliesMigration(),
    '0027-subject-choices': subjectChoicesMigration(),
    '0029-ssf': ssfMigration(dialect),
    '0030-refresh-sealed-successor': refreshSealedSuccessorMigration(),
    '0032-session-usage': sessionUsageMigration(),
    '0033-refresh-grace-partial-index': refreshGracePartialIndexMigration(),
    '0034-readiness-probe': readinessProbeMigration(),
  };
}

/** Applies pending migrations in name order; returns the names applied. */
export async function migrateToLatest(db: Kysely<Database>, dialect: SqlDialectName): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'tessera_migration',
    migrationLockTableName: 'tessera_migration_lock',
    // Kysely looks for its tables in every schema unless told which: another schema's tables
    // (a parallel test run, a second deployment) would make it skip creating ours.
    ...(dialect === 'postgres' ? { migrationTableSchema: await currentSchema(db) } : {}),
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed`, { cause: error });
  }
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (schema === undefined || schema === null) {
    throw new Error('no current schema: the search_path names no existing schema');
  }
  return schema;
}
