/**
 * The SQLite file cannot take a write (issue "Survive the database"): the disk is full, or the
 * database turned read-only. Like a held lock, this is an outage that passes without a restart
 * once the operator frees space or fixes the mount, so it must be answered as one (503
 * temporarily_unavailable with Retry-After), never as a bug (500), and the next write after it must
 * succeed. Stand-ins for the disk, none needing root: a file-size limit on this process
 * (RLIMIT_FSIZE, set with util-linux `prlimit`) makes the WAL unable to grow, as a full disk does;
 * `max_page_count` at the file's size gives the very SQLITE_FULL a full disk gives; `query_only`
 * gives SQLITE_READONLY.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/ports.js';
import { createSqlStore } from '../../src/store/sql/sql-store.js';
import { openSqlite, type SqliteHandle } from '../../src/store/sqlite/dialect.js';
import { isStoreUnavailable } from '../../src/store/unavailable.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import { requireService } from '../support/requirements.js';

const PRLIMIT = '/usr/bin/prlimit';
const canLimit = requireService(
  'util-linux prlimit (a file-size limit on this process)',
  existsSync(PRLIMIT),
);

/** Runs `fn` with this process unable to write past `bytes` into any file, as on a full disk. */
async function withFileSizeLimit<T>(bytes: number, fn: () => Promise<T>): Promise<T> {
  // Past the limit the kernel sends SIGXFSZ, which ends the process unless handled; handled, the
  // write fails with EFBIG, which SQLite reports as a write error.
  const ignore = () => {};
  process.on('SIGXFSZ', ignore);
  // The soft limit only: the hard one stays, so the limit can be lifted again without root.
  execFileSync(PRLIMIT, ['--pid', String(process.pid), `--fsize=${bytes}:`]);
  try {
    return await fn();
  } finally {
    execFileSync(PRLIMIT, ['--pid', String(process.pid), '--fsize=unlimited:']);
    process.off('SIGXFSZ', ignore);
  }
}

describe.skipIf(!canLimit)('tessera on SQLite when the disk is full', () => {
  let dir: string;
  let t: TestServer;
  let client: TestClient;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-disk-full-'));
    t = await bootstrap({ 'database.url': join(dir, 'tessera.db') });
    client = await createTestClient(t);
  });

  afterEach(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const writes = {
    'POST /admin/api-keys': () =>
      t.app.inject({
        method: 'POST',
        url: '/admin/api-keys',
        headers: t.adminHeaders,
        payload: { name: 'k'.repeat(200), owner: client.id, scope: 'read', meta: { note: 'x'.repeat(2000) } },
      }),
    'POST /revoke (a transaction)': async () => {
      const issued = await t.app.inject({
        method: 'POST',
        url: '/token',
        headers: { ...FORM, authorization: client.basic },
        payload: form({ grant_type: 'client_credentials', scope: 'read' }),
      });
      return t.app.inject({
        method: 'POST',
        url: '/revoke',
        headers: { ...FORM, authorization: client.basic },
        payload: form({ token: issued.json<{ access_token: string }>().access_token }),
      });
    },
  };

  it.each(Object.entries(writes))(
    'issue 20 — the WAL cannot grow: %s answers 503 temporarily_unavailable with Retry-After, never 500; it succeeds again once there is room',
    async (_name, write) => {
      expect((await write()).statusCode).toBeLessThan(300);
      const files = ['tessera.db', 'tessera.db-wal'].map((file) => statSync(join(dir, file)).size);
      const refused = await withFileSizeLimit(Math.max(...files), async () => {
        for (let attempt = 0; attempt < 300; attempt += 1) {
          const response = await write();
          if (response.statusCode >= 300) {
            return response;
          }
        }
        throw new Error('300 writes went through: the file-size limit did not hold');
      });
      expect(refused.statusCode, refused.body).toBe(503);
      expect(refused.json().error).toBe('temporarily_unavailable');
      expect(refused.headers['retry-after']).toBe('5');

      expect((await write()).statusCode).toBeLessThan(300);
    },
  );
});

describe('the SQLite store when the file cannot take a write', () => {
  let dir: string;
  let handle: SqliteHandle;
  let store: Store;
  let n = 0;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-disk-full-'));
    handle = openSqlite(join(dir, 'tessera.db'), { checkpointIntervalMs: 0 });
    store = createSqlStore(handle.db, 'sqlite');
    await store.migrate();
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A write of one statement, and one in a transaction (`atomic`): each with a fresh 2 KiB row. */
  const writes = {
    'one statement (markOnce)': () => store.markOnce(`k${n++}-${'x'.repeat(2048)}`, 9_999_999_999, 0),
    'a transaction (addRevocation)': () =>
      store.addRevocation({ type: 'jti', value: `j${n++}-${'x'.repeat(2048)}` }, 0, 9_999_999_999),
  };

  /** Writes until one fails; returns that failure. */
  async function firstFailure(write: () => Promise<unknown>): Promise<unknown> {
    for (let attempt = 0; attempt < 500; attempt += 1) {
      try {
        await write();
      } catch (error) {
        return error;
      }
    }
    throw new Error('500 writes went through: the limit did not hold');
  }

  it.each(Object.entries(writes))(
    'issue 20 — SQLITE_FULL: %s fails as unavailable (503), and writes again once there is room',
    async (_name, write) => {
      await write();
      const pages = handle.sqlite.pragma('page_count', { simple: true }) as number;
      handle.sqlite.pragma(`max_page_count = ${pages}`);

      const error = await firstFailure(write);
      expect(String(error)).toMatch(/full/);
      expect(isStoreUnavailable(error), String(error)).toBe(true);
      expect(handle.sqlite.inTransaction).toBe(false);

      handle.sqlite.pragma('max_page_count = 1073741823');
      await write();
    },
  );

  it.each(Object.entries(writes))(
    'issue 20 — SQLITE_READONLY: %s fails as unavailable (503), and writes again once writable',
    async (_name, write) => {
      await write();
      handle.sqlite.pragma('query_only = 1');

      const error = await firstFailure(write);
      expect(String(error)).toMatch(/readonly/);
      expect(isStoreUnavailable(error), String(error)).toBe(true);

      handle.sqlite.pragma('query_only = 0');
      await write();
    },
  );

  it("issue 20 — /readyz's write probe: a read-only file answers ping but not probeWrite (unavailable); writable again, the probe passes", async () => {
    await store.probeWrite(1);
    handle.sqlite.pragma('query_only = 1');
    await store.ping();
    const error = await store.probeWrite(2).catch((e: unknown) => e);
    expect(String(error)).toMatch(/readonly/);
    expect(isStoreUnavailable(error), String(error)).toBe(true);

    handle.sqlite.pragma('query_only = 0');
    await store.probeWrite(3);
    expect(handle.sqlite.prepare('select checked_at from readiness_probe').all()).toEqual([
      { checked_at: 3 },
    ]);
  });
});
