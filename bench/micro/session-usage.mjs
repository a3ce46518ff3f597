/**
 * What scoring reported token uses on the state in the store costs (docs/risk.md, "Tessera scores
 * each session's usage stream"): per batch of 10 sessions, one read of their records, then per
 * session a group of 3 uses scored on the restored state and written back (optimistic write). On a
 * SQLite file or PostgreSQL (a schema of its own, dropped after), in one process; prints CPU time
 * (this process only: the database server's is not counted) and wall time per session.
 *   node bench/micro/session-usage.mjs [sqlite|postgres] [sessions] [ms between uses]
 * 1 ms between uses keeps every use in the last minute (the state grows to 1,000 use times, 6 KB);
 * 20000 keeps it small (a session used a few times a minute).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT_DIR } from '../lib/procs.mjs';

const [db = 'sqlite', total = '2000', step = '20000'] = process.argv.slice(2);
const server = (path) => import(pathToFileURL(join(ROOT_DIR, 'packages/server/dist', path)).href);
const { openStore } = await server('store/open-store.js');
const { createSessionUsageState } = await server('users/session-usage-state.js');

const dir = db === 'sqlite' ? mkdtempSync(join(tmpdir(), 'session-usage-')) : undefined;
const schema = `bench_usage_${randomBytes(4).toString('hex')}`;
const store =
  dir === undefined
    ? await openStore(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', { schema })
    : await openStore(join(dir, 'tessera.db'));
await store.migrate();
const state = createSessionUsageState({ store, log: { warn() {} } });
const sids = Array.from({ length: 10 }, (_, i) => `ses_bench_${i}`);
let at = Date.now();

async function batch() {
  const records = await state.load(sids);
  for (const sid of sids) {
    const uses = [0, 1, 2].map(() => {
      at += Number(step);
      return { jti: 'jti_1', reportedAt: at, at, network: 'net-a', endpoint: 'GET /cookies' };
    });
    await state.score(sid, uses, records.get(sid), 2_000_000_000, Math.floor(at / 1000));
  }
}

for (let i = 0; i < 20; i += 1) {
  await batch();
}
const sessions = Number(total);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < sessions / sids.length; i += 1) {
  await batch();
}
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - t0;
const [record] = await store.findSessionUsage([sids[0]]);
console.log(
  `${db}: ${sessions} sessions scored (10 per batch, 3 uses each, ${step} ms apart): ` +
    `CPU ${((cpu.user + cpu.system) / sessions).toFixed(0)} µs/session, ` +
    `wall ${((wall * 1000) / sessions).toFixed(0)} µs/session; state ${record?.state.length} characters`,
);
await store.close();
if (dir !== undefined) {
  rmSync(dir, { recursive: true, force: true });
} else {
  const pg = (await import('pg')).default;
  const client = new pg.Client({
    connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
}
