/**
 * Migration 0017 (issue 16 item 5) on a database at 0014 (STYLE §9.5: old data survives): a person
 * who signed up with Sign-In with Ethereum (user id = their did:pkh) gets the wallet as a linked
 * identifier, so the wallet still signs in to that person and cannot be linked to anyone else; a
 * person with a password gets nothing.
 */
import { Migrator } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { migrations } from '../../src/store/sql/migrate.js';
import { createSqlStore } from '../../src/store/sql/sql-store.js';
import { openSqlite, type SqliteHandle } from '../../src/store/sqlite/dialect.js';

const handles: SqliteHandle[] = [];
afterEach(async () => {
  for (const handle of handles.splice(0)) {
    await handle.db.destroy();
  }
});

const DID = 'did:pkh:eip155:1:0x36C029077753Ef1E8c1cACC551d54e5Bf01D2095';

it('issue 16 item 5 — 0017 links the wallet of every person who signed up with it', async () => {
  const handle = openSqlite(':memory:');
  handles.push(handle);
  const before = Object.fromEntries(Object.entries(migrations('sqlite')).filter(([name]) => name < '0017'));
  const old = new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => before },
    migrationTableName: 'tessera_migration',
    migrationLockTableName: 'tessera_migration_lock',
  });
  expect((await old.migrateToLatest()).error).toBeUndefined();
  const store = createSqlStore(handle.db, 'sqlite');
  const base = { email: null, emailVerified: false, name: null, disabled: false, tokensValidAfter: 0 };
  await store.createUser({ ...base, id: DID, username: 'eth.1.0x36c0', passwordHash: '!' }, 1_700_000_000);
  await store.createUser(
    { ...base, id: 'usr_alice', username: 'alice', passwordHash: '$argon2id$x' },
    1_700_000_001,
  );

  expect(await store.migrate()).toEqual([
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
  expect(await store.findLinkedIdentifier(DID)).toEqual({
    identifier: DID,
    userId: DID,
    method: 'siwe',
    createdAt: 1_700_000_000,
  });
  expect(await store.listLinkedIdentifiers('usr_alice')).toEqual([]);
});
