/**
 * WAL checkpoints of a SQLite database file on a worker thread (store/sqlite/wal-checkpointer.ts):
 * the worker's checkpoints let the WAL start over, so it does not grow with the writes, and past the
 * fallback size the committing connection checkpoints on the loop after all.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/sql/database.js';
import { migrateToLatest } from '../../src/store/sql/migrate.js';
import { openSqlite, type SqliteOptions } from '../../src/store/sqlite/dialect.js';
import type { CheckpointReport } from '../../src/store/sqlite/wal-checkpointer.js';
import { waitFor } from '../support/wait-for.js';

/** The largest WAL frame: a 4 KiB page and its 24-byte header. */
const FRAME = 4096 + 24;

describe('SQLite WAL checkpoints off the event loop', () => {
  const dirs: string[] = [];
  const open: Kysely<Database>[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) {
      await db.destroy();
    }
    for (const dir of dirs.splice(0)) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  async function database(options: SqliteOptions) {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-checkpoint-'));
    dirs.push(dir);
    const path = join(dir, 'tessera.db');
    const handle = openSqlite(path, options);
    open.push(handle.db);
    await migrateToLatest(handle.db, 'sqlite');
    /** 150 write transactions of 20 rows each (random keys: ~10 pages per commit). */
    async function writeBatch() {
      for (let n = 0; n < 150; n += 1) {
        await handle.db
          .insertInto('replay_keys')
          .values(Array.from({ length: 20 }, () => ({ key: randomUUID(), expires_at: 1 })))
          .execute();
      }
    }
    return {
      ...handle,
      writeBatch,
      walBytes: () => statSync(`${path}-wal`).size,
      dbBytes: () => statSync(path).size,
    };
  }

  it('the worker copies the WAL into the database file, with the loop never checkpointing', async () => {
    const reports: CheckpointReport[] = [];
    const { sqlite, writeBatch, dbBytes } = await database({
      checkpointIntervalMs: 5,
      // No fallback within reach: only the worker checkpoints.
      walFallbackPages: 1_000_000,
      onCheckpoint: (report) => reports.push(report),
    });
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000_000);
    /** A checkpoint that copied every frame there was (after the writes before it). */
    async function complete() {
      const seen = reports.length;
      await waitFor(
        () => reports.slice(seen).some((report) => report.log > 0 && report.checkpointed === report.log),
        { what: 'a complete checkpoint by the worker' },
      );
    }
    await complete();
    const before = dbBytes();
    await writeBatch();
    await writeBatch();
    await complete();
    // In WAL mode the database file only grows by checkpoints: the worker's.
    expect(dbBytes() - before).toBeGreaterThan(100 * 4096);
  });

  it('past the fallback size, a WAL the worker does not keep up with is checkpointed by the committing connection', async () => {
    const reports: CheckpointReport[] = [];
    const { sqlite, writeBatch, walBytes } = await database({
      checkpointIntervalMs: 3_600_000,
      walFallbackPages: 100,
      onCheckpoint: (report) => reports.push(report),
    });
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(100);
    // The worker's one checkpoint at start: past it, its connection holds no snapshot (while it
    // read the schema, commits could not start the WAL over: ~500 frames in 2 of 120 runs).
    await waitFor(() => reports.length > 0, { what: "the worker's first checkpoint" });
    for (let round = 0; round < 3; round += 1) {
      await writeBatch();
    }
    // ~9,800 frames written (a 40 MB WAL without the fallback); bounded by the fallback
    // plus what one commit adds past it, and by a few fallbacks' worth where a checkpoint could not
    // start the WAL over because a read was in progress (247 frames once, on a loaded machine).
    expect(walBytes()).toBeLessThan(1000 * FRAME);
  });

  it('with checkpointIntervalMs 0 there is no worker: SQLite checkpoints on the committing connection, as by default', async () => {
    const reports: CheckpointReport[] = [];
    const { sqlite } = await database({
      checkpointIntervalMs: 0,
      onCheckpoint: (report) => reports.push(report),
    });
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(sqlite.pragma('synchronous', { simple: true })).toBe(1);
  });

  it('kill -9 while the worker checkpoints: every acknowledged commit is there and the file is intact (dist/ build)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-checkpoint-crash-'));
    dirs.push(dir);
    const path = join(dir, 'tessera.db');
    const dist = (file: string) => new URL(`../../dist/store/${file}`, import.meta.url).href;
    // Commits one row at a time and says so only after each commit returned. Each round goes back
    // to the event loop, as a server does between requests: better-sqlite3 is synchronous, so the
    // awaits alone settle as microtasks and the loop would never run; then the first write that
    // finds the pipe full is queued for the loop, and so is every acknowledgement after it. The
    // child went on committing (116,370 rows with 1,329 acknowledged, ~38,000 more a second), which
    // looked like a hung store (2026-12-07, docs/performance.md 66.).
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { openSqlite } from ${JSON.stringify(dist('sqlite/dialect.js'))};
         import { migrateToLatest } from ${JSON.stringify(dist('sql/migrate.js'))};
         const { db } = openSqlite(${JSON.stringify(path)}, { checkpointIntervalMs: 1 });
         await migrateToLatest(db, 'sqlite');
         for (let n = 0; ; n += 1) {
           await db.insertInto('replay_keys').values({ key: 'k' + n, expires_at: n }).execute();
           process.stdout.write(n + '\\n');
           await new Promise((resolve) => setImmediate(resolve));
         }`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let acknowledged = -1;
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        acknowledged = Number(line);
      }
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await waitFor(() => acknowledged >= 5000, { what: '5,000 acknowledged commits' });
    child.kill('SIGKILL');
    await exited;
    const sqlite = new SqliteDatabase(path);
    try {
      expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
      const { n } = sqlite
        .prepare('select count(*) as n from replay_keys where expires_at <= ?')
        .get(acknowledged) as { n: number };
      expect(n).toBe(acknowledged + 1);
    } finally {
      sqlite.close();
    }
  });
});
