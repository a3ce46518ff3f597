/**
 * What one refresh redemption costs at the store on PostgreSQL, through the group commit
 * (tokens/refresh-rotation-group-commit.ts) as the refresh grant makes them (32 chains, 10 s reuse
 * grace, each on a fresh schema): per round, rotations/s, groups and their mean size, statements
 * sent per group (pg.Client#query, counted by kind), the wall time a statement takes, this
 * process's CPU per rotation and the CPU of the PostgreSQL backends this process talks to (from
 * /proc/<pid>/stat, so only with PostgreSQL on this machine; other clients' backends are not in it).
 *   node bench/micro/refresh-pg-cost.mjs <dir> [rounds] [seconds]
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRefreshFixture, rotateChains } from '../lib/refresh-fixture.mjs';

const [given, rounds = '3', seconds = '4'] = process.argv.slice(2);
const dir = given === undefined ? undefined : resolve(given);
if (dir === undefined) {
  console.error('usage: node bench/micro/refresh-pg-cost.mjs <dir> [rounds] [seconds]');
  process.exit(2);
}
const POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';
const pg = createRequire(join(dir, 'dist', 'main.js'))('pg');
const backends = new Set();
const sent = { statements: 0, wall: 0, kinds: new Map() };
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, values, callback) {
  const text = typeof config === 'string' ? config : config.text;
  const kind = text.trim().slice(0, 24).replace(/\s+/g, ' ');
  sent.statements += 1;
  sent.kinds.set(kind, (sent.kinds.get(kind) ?? 0) + 1);
  if (this.processID) {
    backends.add(this.processID);
  }
  const start = performance.now();
  const result = query.call(this, config, values, callback);
  if (result && typeof result.then === 'function') {
    result.then(
      () => {
        sent.wall += performance.now() - start;
      },
      () => {},
    );
  }
  return result;
};

/** CPU µs of the backends seen so far (utime + stime, 100 ticks a second). */
function backendCpu() {
  let ticks = 0;
  for (const pid of backends) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The backend ended (the pool closed it).
    }
  }
  return ticks * 10_000;
}

const m = (p) => import(pathToFileURL(join(dir, 'dist', p)).href);
const { openStore } = await m('store/open-store.js');
const ids = await m('ids.js');
const { createRefreshRotationGroupCommit } = await m('tokens/refresh-rotation-group-commit.js');
const schema = `bench_cost_${randomBytes(4).toString('hex')}`;
const store = await openStore(POSTGRES, { schema });
await store.migrate();
const T0 = Math.floor(Date.now() / 1000);
const { client, tokenRecord } = await createRefreshFixture(store, ids, T0);
const groups = { count: 0, sizes: 0 };
const group = createRefreshRotationGroupCommit(store, {
  onGroup: (size) => {
    groups.count += 1;
    groups.sizes += size;
  },
});
const chains = [];
for (let n = 0; n < 32; n += 1) {
  const token = tokenRecord();
  await store.insertRefreshToken(token);
  chains.push(token.hash);
}

function rotateUntil(until) {
  return rotateChains(group, ids, client.id, chains, until);
}

await rotateUntil(Date.now() + 1000);
try {
  for (let r = 0; r < Number(rounds); r += 1) {
    sent.statements = 0;
    sent.wall = 0;
    sent.kinds.clear();
    groups.count = 0;
    groups.sizes = 0;
    const cpu = process.cpuUsage();
    const backend = backendCpu();
    const start = performance.now();
    const done = await rotateUntil(Date.now() + Number(seconds) * 1000);
    const wall = performance.now() - start;
    const own = process.cpuUsage(cpu);
    const theirs = backendCpu() - backend;
    console.log(
      `round ${r}: ${Math.round((done / wall) * 1000)}/s, ${groups.count} groups (mean ${(groups.sizes / groups.count).toFixed(1)}), ` +
        `${(sent.statements / groups.count).toFixed(2)} statements/group, ${(sent.wall / sent.statements).toFixed(2)} ms/statement; ` +
        `CPU per rotation: this process ${Math.round((own.user + own.system) / done)} µs, ` +
        `PostgreSQL backends ${Math.round(theirs / done)} µs (${backends.size})`,
    );
    console.log(`  ${[...sent.kinds].map(([kind, n]) => `${n}× ${kind}…`).join(' | ')}`);
  }
} finally {
  await store.close();
  const admin = new pg.Client({ connectionString: POSTGRES });
  await admin.connect();
  await admin.query(`drop schema if exists ${schema} cascade`);
  await admin.end();
}
