/**
 * Another process holds SQLite's write lock (issue "Survive the database", item 5): the server must
 * keep answering what needs no database, answer a write 503 once the lock deadline passes, and
 * write again as soon as the lock is released. The "other process" is a second better-sqlite3
 * connection holding `BEGIN IMMEDIATE`: to SQLite it is exactly that (file locks, not threads).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';

const LOCK_TIMEOUT_MS = 1000;

describe('SQLite locked by another process', () => {
  let dir: string;
  let file: string;
  let t: TestServer;
  let jwtClient: TestClient;
  let opaqueClient: TestClient;
  let other: SqliteDatabase.Database;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-sqlite-lock-'));
    file = join(dir, 'tessera.db');
    t = await bootstrap({ 'database.url': file, 'database.lockTimeout': `${LOCK_TIMEOUT_MS}ms` });
    jwtClient = await createTestClient(t);
    opaqueClient = await createTestClient(t, { tokenFormat: 'opaque' });
    other = new SqliteDatabase(file);
  });

  afterAll(async () => {
    other?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function token(client: TestClient) {
    return t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: client.basic },
      payload: form({ grant_type: 'client_credentials', scope: 'read' }),
    });
  }

  /** Resolves with the answer and the order in which it arrived. */
  function ordered<T>(promise: Promise<T>, order: string[], name: string): Promise<T> {
    return promise.then((value) => {
      order.push(name);
      return value;
    });
  }

  it('issue 20 item 5 — /healthz and memory-only requests answer while a write waits for the lock; the write gets 503 + Retry-After at the deadline, and succeeds once the lock is released', async () => {
    // Warm the client cache (a cache miss would need the database, which still reads fine in WAL).
    expect((await token(jwtClient)).statusCode).toBe(200);
    expect((await token(opaqueClient)).statusCode).toBe(200);

    other.exec('BEGIN IMMEDIATE');
    try {
      const order: string[] = [];
      const started = Date.now();
      // Opaque issuance writes the token before answering (DESIGN §4), so it needs the write lock.
      const write = ordered(token(opaqueClient), order, 'write');
      // Let the write reach the lock before the others are asked.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const health = ordered(t.app.inject({ method: 'GET', url: '/healthz' }), order, 'healthz');
      const memory = ordered(token(jwtClient), order, 'jwt');
      const jwks = ordered(t.app.inject({ method: 'GET', url: '/jwks' }), order, 'jwks');
      const [written, healthz, issued, keys] = await Promise.all([write, health, memory, jwks]);
      const writeMs = Date.now() - started;

      // A synchronous 5 s busy_timeout answered the write first (after blocking everything).
      expect(order.at(-1)).toBe('write');
      expect(healthz.statusCode).toBe(200);
      expect(issued.statusCode).toBe(200);
      expect(keys.statusCode).toBe(200);
      expect(written.statusCode, written.body).toBe(503);
      expect(written.headers['retry-after']).toBe('5');
      expect(written.json()).toEqual({
        error: 'temporarily_unavailable',
        error_description: 'The service is temporarily unavailable; retry later',
      });

      // Writes queued behind it in this process share the deadline: five at once all end near one
      // deadline, not one after another (5 × 1 s). Counted on a fake clock that moves only when the
      // test moves it, so a slow machine cannot change the count; the wall clock is only a figure.
      const queuedStarted = Date.now();
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      let fakeMs = 0;
      let queued: Awaited<ReturnType<typeof token>>[];
      try {
        const settled: unknown[] = [];
        const pending = Promise.all(
          Array.from({ length: 5 }, () =>
            token(opaqueClient).then((answer) => {
              settled.push(answer);
              return answer;
            }),
          ),
        );
        // Serial deadlines would need 5 × LOCK_TIMEOUT_MS of fake time; the bound is twice one.
        while (settled.length < 5 && fakeMs <= 10 * LOCK_TIMEOUT_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          await vi.advanceTimersByTimeAsync(10);
          fakeMs += 10;
        }
        queued = await pending;
      } finally {
        vi.useRealTimers();
      }
      const queuedMs = Date.now() - queuedStarted;
      expect(queued.map((r) => r.statusCode)).toEqual([503, 503, 503, 503, 503]);
      expect(fakeMs).toBeLessThan(2 * LOCK_TIMEOUT_MS);
      console.info(
        `[figures] SQLite locked by another process (lockTimeout ${LOCK_TIMEOUT_MS} ms): write → 503 after ${writeMs} ms; 5 queued writes all 503 after ${queuedMs} ms (${fakeMs} ms of fake time); /healthz, JWT issuance and /jwks answered before the write`,
      );
    } finally {
      other.exec('ROLLBACK');
    }

    const after = await token(opaqueClient);
    expect(after.statusCode, after.body).toBe(200);
  });

  it('issue 20 item 5 — a lock released before the deadline: the waiting write succeeds', async () => {
    other.exec('BEGIN IMMEDIATE');
    const write = token(opaqueClient);
    setTimeout(() => other.exec('ROLLBACK'), 200);
    const answer = await write;
    expect(answer.statusCode, answer.body).toBe(200);
  });
});
