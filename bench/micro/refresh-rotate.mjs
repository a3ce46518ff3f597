/**
 * Refresh-token rotation at the store (issue 18), on a SQLite file or PostgreSQL, in one process:
 * 32 chains (like the 32 connections of the HTTP bench), each looking its token up and rotating it
 * to a fresh successor, then spending that one, as the refresh grant does (`findRefreshToken`, then
 * `rotateRefreshToken` with a 10 s reuse grace), one transaction per rotation vs group commit
 * (tokens/refresh-rotation-group-commit.ts), alternating rounds so the machine's noise hits both
 * alike. Prints rotations/s per round and this process's CPU
 * time per rotation (user + system), the figure a shared, loaded machine distorts least: on SQLite it
 * is the whole cost (1e6 / cpuMicros = rotations/s one core can do); on PostgreSQL the server's
 * own CPU comes on top.
 *   node bench/micro/refresh-rotate.mjs [sqlite|postgres] [rounds] [seconds]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT_DIR } from '../lib/procs.mjs';
import { createRefreshFixture } from '../lib/refresh-fixture.mjs';

const [db = 'sqlite', rounds = '3', seconds = '2'] = process.argv.slice(2);
const SERVER_DIR = process.env.TESSERA_BENCH_SERVER_DIR ?? join(ROOT_DIR, 'packages/server');
const server = (path) => import(pathToFileURL(join(SERVER_DIR, 'dist', path)).href);
const { openStore } = await server('store/open-store.js');
const ids = await server('ids.js');
const { createRefreshRotationGroupCommit } = await server('tokens/refresh-rotation-group-commit.js');
const T0 = Math.floor(Date.now() / 1000);

const dir = mkdtempSync(join(tmpdir(), 'tessera-rotate-'));
const schema = `bench_${randomBytes(4).toString('hex')}`;
const url = db === 'postgres' ? 'postgres://postgres@127.0.0.1:5432/test' : join(dir, 'tessera.db');
const store = await openStore(url, db === 'postgres' ? { schema } : {});
await store.migrate();
const { tokenRecord: record } = await createRefreshFixture(store, ids, T0);

async function chain(rotator, until) {
  let current = record();
  await store.insertRefreshToken(current);
  let done = 0;
  while (Date.now() < until) {
    const found = await store.findRefreshToken(current.hash);
    const next = record(found);
    const now = Math.floor(Date.now() / 1000);
    const result = await rotator.rotateRefreshToken(current.hash, next, now, {
      until: now + 10,
      sealedSuccessor: 'sealed',
    });
    if (result.status !== 'rotated') {
      throw new Error(`rotation failed: ${result.status}`);
    }
    current = next;
    done += 1;
  }
  return done;
}

async function measure(rotator) {
  const until = Date.now() + Number(seconds) * 1000;
  const cpu = process.cpuUsage();
  const done = (await Promise.all(Array.from({ length: 32 }, () => chain(rotator, until)))).reduce(
    (a, b) => a + b,
  );
  const used = process.cpuUsage(cpu);
  return {
    perSecond: Math.round(done / Number(seconds)),
    cpuMicros: Math.round((used.user + used.system) / done),
  };
}

const grouped = createRefreshRotationGroupCommit(store);
for (let round = 0; round < Number(rounds); round += 1) {
  const single = await measure(store);
  const group = await measure(grouped);
  process.stdout.write(
    `${JSON.stringify({
      db,
      round,
      oneTransactionEach: single.perSecond,
      groupCommit: group.perSecond,
      cpuMicrosPerRotation: { oneTransactionEach: single.cpuMicros, groupCommit: group.cpuMicros },
    })}\n`,
  );
}
if (db === 'postgres') {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await store.close();
  await c.query(`drop schema "${schema}" cascade`);
  await c.end();
} else {
  await store.close();
}
rmSync(dir, { recursive: true, force: true });
