/**
 * Migrations 0003 to 0006 (among them 0004, signing keys' master key id, and 0006, admin tokens) applied to a database
 * migrated to 0002 with a signing key in it (STYLE §9.5: old data survives): the key keeps every
 * field, gets a null master key id, and still opens with the master key that sealed it.
 */
import { Migrator } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { createFixedClock } from '../../src/clock.js';
import { createKeyring } from '../../src/keys/keyring.js';
import { migrations } from '../../src/store/sql/migrate.js';
import { createSqlStore } from '../../src/store/sql/sql-store.js';
import { openSqlite, type SqliteHandle } from '../../src/store/sqlite/dialect.js';
import { TEST_MASTER_KEY } from '../support/bootstrap.js';

const handles: SqliteHandle[] = [];
afterEach(async () => {
  for (const handle of handles.splice(0)) {
    await handle.db.destroy();
  }
});

it('issue 11 item 8 / issue 12 item 11 — migrations after 0002 keep an existing signing key, which still opens', async () => {
  const clock = createFixedClock(1_800_000_000);
  const master = Buffer.from(TEST_MASTER_KEY, 'hex');
  // A key sealed by today's code, written to a database at 0002 the way 0002's code wrote it.
  const source = createSqlStore(openSqlite(':memory:').db, 'sqlite');
  await source.migrate();
  const keyring = createKeyring({
    store: source,
    clock,
    masterKey: master,
    activationDelay: 0,
    retention: 3600,
  });
  await keyring.load(['ES256']);
  const [record] = await source.listSigningKeys();
  await source.close();
  if (record === undefined) {
    throw new Error('no key');
  }

  const handle = openSqlite(':memory:');
  handles.push(handle);
  const all = migrations('sqlite');
  const upTo0002 = Object.fromEntries(Object.entries(all).filter(([name]) => name < '0003'));
  const old = new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => upTo0002 },
    migrationTableName: 'tessera_migration',
    migrationLockTableName: 'tessera_migration_lock',
  });
  expect((await old.migrateToLatest()).error).toBeUndefined();
  await handle.db
    .insertInto('signing_keys')
    .values({
      kid: record.kid,
      alg: record.alg,
      public_jwk: JSON.stringify(record.publicJwk),
      sealed_private_key: record.sealedPrivateKey,
      created_at: record.createdAt,
      activates_at: record.activatesAt,
      retired_at: null,
      expires_at: null,
    } as never)
    .execute();

  const store = createSqlStore(handle.db, 'sqlite');
  expect(await store.migrate()).toEqual([
    '0003-attempts',
    '0004-signing-key-master-key-id',
    '0005-refresh-reuse-grace',
    '0006-admin-tokens',
    '0007-mfa',
    '0008-passkeys',
    '0009-dpop',
    '0010-device-authorizations',
    '0011-client-source',
    '0014-client-id-token-alg',
    '0015-user-admin-scopes',
    '0017-linked-identifiers',
    '0019-client-subject-type',
    '0020-server-secrets',
    '0021-audit-actor-time',
    '0022-stat-counts',
    '0024-risk-state',
    '0025-api-key-anomalies',
    '0027-subject-choices',
    '0029-ssf',
    '0030-refresh-sealed-successor',
    '0032-session-usage',
    '0033-refresh-grace-partial-index',
    '0034-readiness-probe',
  ]);
  expect(await store.listSigningKeys()).toEqual([{ ...record, masterKeyId: null }]);
  expect(await store.listAdminTokens()).toEqual([]);
  const reopened = createKeyring({ store, clock, masterKey: master, activationDelay: 0, retention: 3600 });
  await reopened.load(['ES256']);
  expect(reopened.current('ES256').kid).toBe(record.kid);
});
