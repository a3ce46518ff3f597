import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { attempt } from '../../src/store/contract/attempts.contract.js';
import { newUser, T0 } from '../../src/store/contract/fixtures.js';
import { describeStoreContract } from '../../src/store/contract/index.js';
import { openStore, sqlitePathOf } from '../../src/store/open-store.js';
import { createSqlStore } from '../../src/store/sql/sql-store.js';
import { BUSY_WAIT_MS, openSqlite } from '../../src/store/sqlite/dialect.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-sqlite-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describeStoreContract('sqlite :memory:', async () => {
  const store = await openStore(':memory:');
  await store.migrate();
  return store;
});

// Every test reopens the same file, as a restarted server would.
const openContractFile = async () => {
  const store = await openStore(`sqlite:${join(dir, 'contract', 'tessera.db')}`);
  await store.migrate();
  return store;
};
// A second instance is a second connection to the same file, as a second worker process has.
describeStoreContract('sqlite file (WAL)', openContractFile, { openSecondInstance: openContractFile });

/** Holds the write lock of `file` from another process for `holdMs`, then commits. */
function holdWriteLock(file: string, holdMs: number): Promise<{ done: Promise<number | null> }> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('begin immediate');
    db.prepare('insert into replay_keys (key, expires_at) values (?, ?)').run('other-process', 1);
    process.stdout.write('locked\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.argv[2]));
    db.exec('commit');
    db.close();
  `;
  const child = spawn(process.execPath, ['-e', script, file, String(holdMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const done = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    child.stdout.once('data', () => resolve({ done }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`lock holder exited early with ${code}`)));
  });
}

describe('SQLite specifics', () => {
  it('applies the initial migration once on a fresh database', async () => {
    const store = await openStore(':memory:');
    try {
      expect(await store.migrate()).toEqual([
        '0001-initial',
        '0002-rate-limits',
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
      expect(await store.migrate()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('opens a file in WAL mode with busy_timeout and foreign keys, creating its directory', async () => {
    const { db, sqlite } = openSqlite(join(dir, 'nested', 'deeper', 'pragmas.db'));
    try {
      expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      // Short on purpose: longer waits are asynchronous retries (see sqlite/dialect.ts).
      expect(sqlite.pragma('busy_timeout', { simple: true })).toBe(BUSY_WAIT_MS);
      expect(sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(sqlite.pragma('synchronous', { simple: true })).toBe(1);
    } finally {
      await db.destroy();
    }
  });

  it('a rotation finds the predecessor keeping its sealed successor by index, not by reading the whole family (0030)', async () => {
    const file = join(dir, 'sealed-successor.db');
    const store = await openStore(file);
    await store.migrate();
    await store.close();
    const probe = new Database(file);
    try {
      // The UPDATE of refresh-tokens.ts forgetSealedCopy.
      const plan = probe
        .prepare(
          'explain query plan update "refresh_tokens" set "successor_sealed" = ?, "grace_until" = ? where "successor_sealed" is not null and "family_id" = ? and "successor_hash" = ?',
        )
        .all(null, null, 'fam_x', 'hash');
      expect(JSON.stringify(plan)).toContain('USING INDEX refresh_tokens_sealed_successor');
    } finally {
      probe.close();
    }
  });

  it('0033 — every query on refresh_tokens keeps its index; the grace index holds only rows with a sealed copy', async () => {
    const file = join(dir, 'refresh-plans.db');
    const store = await openStore(file);
    await store.migrate();
    await store.close();
    const probe = new Database(file);
    try {
      // refresh-tokens.ts: each maintenance, revocation or rotation query, and the index it needs.
      const plans: Array<[string, string]> = [
        [
          'update "refresh_tokens" set "successor_sealed" = ?, "grace_until" = ? where "successor_sealed" is not null and "grace_until" <= ?',
          'refresh_tokens_grace_until',
        ],
        [
          'update "refresh_tokens" set "successor_sealed" = ?, "grace_until" = ? where "successor_sealed" is not null and "family_id" in (?, ?)',
          'refresh_tokens_family_id',
        ],
        [
          'update "refresh_tokens" set "revoked_at" = ? where "family_id" in (?, ?) and "revoked_at" is null',
          'refresh_tokens_family_id',
        ],
        [
          'select distinct "family_id" from "refresh_tokens" where "revoked_at" is null and "client_id" = ? order by "family_id"',
          'refresh_tokens_client_id',
        ],
        [
          'select distinct "family_id" from "refresh_tokens" where "revoked_at" is null and "user_id" = ? order by "family_id"',
          'refresh_tokens_user_id',
        ],
        [
          'select distinct "family_id" from "refresh_tokens" where "revoked_at" is null and "session_id" = ? order by "family_id"',
          'refresh_tokens_session_id',
        ],
        [
          'delete from "refresh_tokens" where ("family_expires_at" <= ? or ("expires_at" <= ? and ("used_at" is null or "revoked_at" is not null)))',
          'refresh_tokens_expires_at',
        ],
        [
          'delete from "refresh_tokens" where ("family_expires_at" <= ? or ("expires_at" <= ? and ("used_at" is null or "revoked_at" is not null)))',
          'refresh_tokens_family_expires_at',
        ],
      ];
      for (const [query, index] of plans) {
        const parameters = Array.from(query.matchAll(/\?/g), () => 1);
        const plan = JSON.stringify(probe.prepare(`explain query plan ${query}`).all(...parameters));
        expect(plan, query).toContain(`USING INDEX ${index} `);
      }
      // A token keeping no sealed copy (every new one) has no entry to maintain in the grace index.
      const grace = probe
        .prepare("select sql from sqlite_master where type = 'index' and name = 'refresh_tokens_grace_until'")
        .pluck()
        .get();
      expect(grace).toMatch(/where "successor_sealed" is not null$/);
    } finally {
      probe.close();
    }
  });

  it('starts write transactions IMMEDIATE: the write lock is taken before the first write', async () => {
    const file = join(dir, 'immediate.db');
    const store = await openStore(file);
    const probe = new Database(file, { timeout: 0 });
    try {
      await store.migrate();
      await store.transaction(async (tx) => {
        await tx.findUser('usr_nobody');
        // Only a read so far, yet another writer is already locked out.
        expect(() => probe.exec('begin immediate')).toThrow(/locked|busy/i);
      });
      probe.exec('begin immediate');
      probe.exec('rollback');
    } finally {
      probe.close();
      await store.close();
    }
  });

  it('lets two store instances on one file run concurrent write transactions', async () => {
    const file = join(dir, 'two-instances.db');
    const first = createSqlStore(openSqlite(file).db, 'sqlite');
    const second = createSqlStore(openSqlite(file).db, 'sqlite');
    try {
      await first.migrate();
      const users = Array.from({ length: 20 }, () => newUser());
      await Promise.all(
        users.map((user, i) =>
          (i % 2 === 0 ? first : second).transaction(async (tx) => {
            // Read, then write: the upgrade that deadlocks with a deferred BEGIN.
            await tx.findUserByUsername(user.username);
            await tx.createUser(user, T0);
            await tx.markOnce(`m-${user.id}`, T0 + 60, T0);
          }),
        ),
      );
      const found = await Promise.all(users.map((user) => second.findUser(user.id)));
      expect(found.every((user) => user !== undefined)).toBe(true);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('login throttle race: two store instances on one file (as two workers) share one attempt counter', async () => {
    const file = join(dir, 'attempts.db');
    const first = createSqlStore(openSqlite(file).db, 'sqlite');
    const second = createSqlStore(openSqlite(file).db, 'sqlite');
    try {
      await first.migrate();
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 === 0 ? first : second).takeAttempt(attempt('race', { freeAttempts: 5 })),
        ),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(5);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('waits for another process that holds the write lock instead of failing (busy_timeout)', async () => {
    const file = join(dir, 'other-process.db');
    const store = await openStore(file);
    try {
      await store.migrate();
      const holder = await holdWriteLock(file, 300);
      const user = newUser();
      await store.transaction((tx) => tx.createUser(user, T0));
      expect(await holder.done).toBe(0);
      expect(await store.findUser(user.id)).toBeDefined();
      expect(await store.markOnce('other-process', 10, 0)).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('reads the SQLite path from every URL form it accepts', () => {
    expect(sqlitePathOf(':memory:')).toBe(':memory:');
    expect(sqlitePathOf('sqlite::memory:')).toBe(':memory:');
    expect(sqlitePathOf('sqlite:./data/tessera.db')).toBe('./data/tessera.db');
    expect(sqlitePathOf('sqlite:///var/lib/tessera.db')).toBe('/var/lib/tessera.db');
    expect(sqlitePathOf('file:data/tessera.db')).toBe('data/tessera.db');
    expect(sqlitePathOf('file:///var/lib/tessera.db')).toBe('/var/lib/tessera.db');
    expect(sqlitePathOf('/var/lib/tessera.db')).toBe('/var/lib/tessera.db');
    expect(sqlitePathOf('postgres://u@h/db')).toBeUndefined();
    expect(sqlitePathOf('postgresql://u@h/db')).toBeUndefined();
  });
});
