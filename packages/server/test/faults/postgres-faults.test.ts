/**
 * The real server process (`tessera serve`) on a PostgreSQL of the test's own, while that database
 * fails (issue "Survive the database"): a connection cut mid-query, the database killed under load
 * and restarted, the database frozen with SIGSTOP. The process must keep serving: 503 with
 * Retry-After where the database is needed, 200 where memory suffices, and back by itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../src/clock.js';
import { hashSecret } from '../../src/ids.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/ports.js';
import { createNotifyBridge } from '../../src/store/postgres/notify-bridge.js';
import { TEST_ADMIN_TOKEN } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import { freePort } from '../support/listening.js';
import { type OwnPostgres, ownPostgresAvailable, startOwnPostgres } from '../support/own-postgres.js';
import { requireService } from '../support/requirements.js';

const BIN = new URL('../../dist/cli/bin.js', import.meta.url).pathname;
const ok = requireService(
  'PostgreSQL binaries (initdb, pg_ctl) for a private instance',
  ownPostgresAvailable(),
);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 50 ms; fails only on a hang (`limitMs`). Resolves with the time it took. */
async function waitFor(what: string, condition: () => Promise<boolean> | boolean, limitMs: number) {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > limitMs) {
      throw new Error(`${what}: not within ${limitMs} ms`);
    }
    await sleep(50);
  }
  return Date.now() - started;
}

describe.skipIf(!ok)('tessera serve on PostgreSQL when the database fails', () => {
  let db: OwnPostgres;
  let child: ChildProcess;
  let cwd: string;
  let base: string;
  let output = '';
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let store: Store;
  let jwtClient: TestClient;
  let opaqueClient: TestClient;
  let verifier: TestClient;
  let apiKey: string;

  const adminHeaders = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

  /** A request with a hang guard: never waits more than `limitMs`. */
  async function call(path: string, init: RequestInit = {}, limitMs = 15_000) {
    const started = Date.now();
    const response = await fetch(base + path, { ...init, signal: AbortSignal.timeout(limitMs) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, ms: Date.now() - started };
  }

  function token(client: TestClient) {
    return call('/token', {
      method: 'POST',
      headers: { ...FORM, authorization: client.basic },
      body: form({ grant_type: 'client_credentials', scope: 'read' }),
    });
  }

  function verifyKey() {
    return call('/api-keys/verify', {
      method: 'POST',
      headers: { ...FORM, authorization: verifier.basic },
      body: form({ key: apiKey }),
    });
  }

  function introspect(value: string) {
    return call('/introspect', {
      method: 'POST',
      headers: { ...FORM, authorization: verifier.basic },
      body: form({ token: value }),
    });
  }

  function alive(): boolean {
    return exited === undefined && child.exitCode === null;
  }

  beforeAll(async () => {
    expect(existsSync(BIN), 'dist is built (tsc -b)').toBe(true);
    db = await startOwnPostgres();
    cwd = mkdtempSync(join(tmpdir(), 'tessera-pg-faults-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [BIN, 'serve', '--dev', '--port', String(port)], {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        TESSERA_DATABASE_URL: db.url,
        TESSERA_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        TESSERA_LOG_LEVEL: 'warn',
        TESSERA_DATABASE_CONNECT_TIMEOUT: '2s',
        TESSERA_DATABASE_STATEMENT_TIMEOUT: '2s',
        TESSERA_DATABASE_READY_TIMEOUT: '1s',
        TESSERA_API_KEYS_USAGE_FLUSH_INTERVAL: '1s',
        // Where revocation polling exists, the outage below outlasts several polls.
        TESSERA_REVOCATIONS_POLL_INTERVAL: '1s',
      },
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code, signal) => {
      exited = { code, signal };
    });
    await waitFor('the server listens', () => output.includes('Tessera is listening') || !alive(), 30_000);
    expect(alive(), output).toBe(true);

    store = await openStore(db.url);
    const clock = createFixedClock(Math.floor(Date.now() / 1000));
    jwtClient = await createTestClient({ store, clock });
    opaqueClient = await createTestClient({ store, clock }, { tokenFormat: 'opaque' });
    verifier = await createTestClient(
      { store, clock },
      { grantTypes: [], permissions: ['api_keys:verify', 'introspect'] },
    );
    const created = await call('/admin/api-keys', {
      method: 'POST',
      headers: { ...adminHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'fault test', owner: jwtClient.id, scope: 'read' }),
    });
    expect(created.status, created.text).toBe(201);
    apiKey = (JSON.parse(created.text) as { key: string }).key;
  }, 90_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await store?.close().catch(() => {});
    db?.destroy();
    if (cwd !== undefined) {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('issue 20 item 1 — a connection terminated mid-query: the process keeps serving, the pool replaces the connection', async () => {
    const admin = new pg.Client({ connectionString: db.url });
    // The kill below makes PostgreSQL restart every backend, this one included.
    admin.on('error', () => {});
    await admin.connect();
    try {
      // Hold a lock the listing needs, so the server's query is in flight on a checked-out connection.
      await admin.query('begin');
      await admin.query('lock table clients in access exclusive mode');
      const listing = call('/admin/clients', { headers: adminHeaders });
      let victim: number | undefined;
      await waitFor(
        'the server query waits on the lock',
        async () => {
          const waiting = await admin.query<{ pid: number }>(
            "select pid from pg_stat_activity where wait_event_type = 'Lock' and pid <> pg_backend_pid()",
          );
          victim = waiting.rows[0]?.pid;
          return victim !== undefined;
        },
        10_000,
      );
      // SIGKILL, not pg_terminate_backend: the socket closes with no FATAL message first, as when
      // a backend crashes or the network drops, so the query fails while its client is checked out.
      process.kill(victim ?? 0, 'SIGKILL');
      const answer = await listing;
      expect(answer.status, answer.text).not.toBe(200);
      // The crash, if any, comes with the connection's error event: give it time to happen.
      await sleep(500);
      expect(alive(), `the server exited (${JSON.stringify(exited)}): ${output}`).toBe(true);
      // PostgreSQL restarts every backend after one is killed; the pool reconnects by itself.
      await waitFor(
        'the listing works again',
        async () => (await call('/admin/clients', { headers: adminHeaders })).status === 200,
        30_000,
      );
    } finally {
      await admin.end().catch(() => {});
    }
  });

  it('issue 20 item 2 — database killed under load: 503 + Retry-After where it is needed, 200 from memory, /readyz 503 within 3 s and back by itself, usage counts kept', async () => {
    // Warm the caches the memory paths serve from, and hold tokens issued before the outage.
    const jwt = await token(jwtClient);
    expect(jwt.status, jwt.text).toBe(200);
    const accessToken = (JSON.parse(jwt.text) as { access_token: string }).access_token;
    const opaque = await token(opaqueClient);
    expect(opaque.status, opaque.text).toBe(200);
    const opaqueToken = (JSON.parse(opaque.text) as { access_token: string }).access_token;
    const first = await verifyKey();
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text), first.text).toMatchObject({ valid: true });
    expect((await introspect(accessToken)).status).toBe(200);
    await waitFor(
      'usage written',
      async () => (await store.findApiKeyByHash(hashSecret(apiKey)))?.usageCount === 1,
      10_000,
    );
    await waitFor('ready', async () => (await call('/readyz')).status === 200, 10_000);

    // Load on database paths while the database dies.
    let loading = true;
    const statuses: number[] = [];
    const load = Array.from({ length: 4 }, async () => {
      while (loading) {
        const answer = await call('/admin/clients', { headers: adminHeaders }).catch(() => undefined);
        statuses.push(answer?.status ?? 0);
      }
    });
    await sleep(300);
    db.kill();
    const toReadyz503 = await waitFor(
      '/readyz 503',
      async () => (await call('/readyz')).status === 503,
      3000,
    );
    await sleep(300);
    loading = false;
    await Promise.all(load);
    expect(alive(), `the server exited (${JSON.stringify(exited)}): ${output}`).toBe(true);
    // Every request of the load was answered: 200 before the kill, 503 after, never a 500.
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(statuses).toContain(503);
    // A real outage lasts: the memory paths must hold beyond the first seconds (and beyond several
    // revocation polls, which must not empty the caches while the store cannot be read either).
    await sleep(3000);

    // Database paths: 503 temporarily_unavailable with Retry-After (RFC 6749 §5.2 body).
    const listing = await call('/admin/clients', { headers: adminHeaders });
    expect(listing.status).toBe(503);
    expect(listing.headers.get('retry-after')).toBe('5');
    expect(JSON.parse(listing.text)).toMatchObject({ error: 'temporarily_unavailable' });
    const opaqueIssue = await token(opaqueClient);
    expect(opaqueIssue.status, opaqueIssue.text).toBe(503);
    expect(JSON.parse(opaqueIssue.text)).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The service is temporarily unavailable; retry later',
    });
    expect(opaqueIssue.headers.get('retry-after')).toBe('5');
    const userinfo = await call('/userinfo', { headers: { authorization: `Bearer ${opaqueToken}` } });
    expect(userinfo.status, userinfo.text).toBe(503);
    expect(userinfo.headers.get('retry-after')).toBe('5');

    // Memory paths keep answering 200 (DESIGN §4).
    const issued = await token(jwtClient);
    expect(issued.status, issued.text).toBe(200);
    const active = await introspect(accessToken);
    expect(active.status).toBe(200);
    expect(JSON.parse(active.text)).toMatchObject({ active: true });
    const verified = [await verifyKey(), await verifyKey()];
    for (const answer of verified) {
      expect(answer.status, answer.text).toBe(200);
      expect(JSON.parse(answer.text)).toMatchObject({ valid: true });
    }
    expect((await call('/jwks')).status).toBe(200);
    expect((await call('/.well-known/openid-configuration')).status).toBe(200);
    expect((await call('/healthz')).status).toBe(200);
    expect((await call('/readyz')).status).toBe(503);

    // Back by itself once the database is.
    await db.start();
    const toReady = await waitFor(
      '/readyz 200 again',
      async () => (await call('/readyz')).status === 200,
      30_000,
    );
    expect((await call('/admin/clients', { headers: adminHeaders })).status).toBe(200);
    expect((await token(opaqueClient)).status).toBe(200);
    // Verifications counted during the outage are written once the store is back (3 = 1 + 2).
    await waitFor(
      'usage counts flushed',
      async () => (await store.findApiKeyByHash(hashSecret(apiKey)).catch(() => undefined))?.usageCount === 3,
      15_000,
    );
    expect(alive()).toBe(true);
    console.info(
      `[figures] after pg_ctl stop -m immediate returned: /readyz 503 within ${toReadyz503} ms; after pg_ctl start returned: /readyz 200 within ${toReady} ms`,
    );
  });

  it('issue 20 item 3 — database frozen (SIGSTOP): database requests end in 503 within the bounds, /readyz within its limit, memory paths unaffected', async () => {
    // Ready, and the bus back too: until it listens again after the previous test's outage, every
    // revocation poll empties the caches (events.missed), which would turn the memory paths below
    // into cache misses. Then warm the client cache.
    await waitFor(
      'ready with the bus connected',
      async () => {
        const ready = await call('/readyz');
        return (
          ready.status === 200 &&
          (JSON.parse(ready.text) as { bus?: { connected?: boolean } }).bus?.connected === true
        );
      },
      30_000,
    );
    const jwt = await token(jwtClient);
    expect(jwt.status).toBe(200);
    db.freeze();
    try {
      // statementTimeout 2 s (+1 s client margin), connectTimeout 2 s, readyTimeout 1 s: a request
      // never waits on a frozen database much longer than 3 s. The 15 s guard only catches a hang.
      const [listing, issue, ready, health, memory] = await Promise.all([
        call('/admin/clients', { headers: adminHeaders }),
        token(opaqueClient),
        call('/readyz'),
        call('/healthz'),
        token(jwtClient),
      ]);
      expect(listing.status, listing.text).toBe(503);
      expect(listing.headers.get('retry-after')).toBe('5');
      expect(issue.status, issue.text).toBe(503);
      expect(ready.status).toBe(503);
      expect(health.status).toBe(200);
      expect(memory.status).toBe(200);
      // More requests than the pool has connections: each still ends (waiting for a connection is bounded too).
      const many = await Promise.all(
        Array.from({ length: 14 }, () => call('/admin/clients', { headers: adminHeaders })),
      );
      expect(many.map((answer) => answer.status)).toEqual(many.map(() => 503));
      const slowest = Math.max(...many.map((answer) => answer.ms));
      const readyAgain = await call('/readyz');
      expect(readyAgain.status).toBe(503);
      console.info(
        `[figures] PostgreSQL frozen (SIGSTOP): a database request answered 503 in ${listing.ms} ms, /readyz 503 in ${ready.ms} ms (then ${readyAgain.ms} ms), /healthz ${health.ms} ms, JWT issuance ${memory.ms} ms; 14 concurrent requests (pool of 10): slowest ${slowest} ms`,
      );
    } finally {
      db.thaw();
    }
    const toReady = await waitFor(
      '/readyz 200 after thaw',
      async () => (await call('/readyz')).status === 200,
      30_000,
    );
    expect((await call('/admin/clients', { headers: adminHeaders })).status).toBe(200);
    expect(alive()).toBe(true);
    console.info(`[figures] after SIGCONT: /readyz 200 within ${toReady} ms`);
  });

  it('issue 20 item 3 — the bus bridge on a frozen database: its connection attempt fails within its bound instead of hanging', async () => {
    db.freeze();
    try {
      const bridge = createNotifyBridge(db.url, { nodeId: 'frozen-probe' });
      const started = Date.now();
      const hang = new Promise<string>((resolve) => setTimeout(() => resolve('hung'), 15_000).unref());
      const outcome = await Promise.race([
        bridge
          .start(() => {})
          .then(
            () => 'connected',
            () => 'failed',
          ),
        hang,
      ]);
      expect(outcome).toBe('failed');
      console.info(
        `[figures] bus bridge connect on a frozen database failed after ${Date.now() - started} ms`,
      );
    } finally {
      db.thaw();
    }
  });
});
