/**
 * Refresh redemptions through the group commit (tokens/refresh-rotation-group-commit.ts), as the
 * refresh grant makes them (`redeemRefreshToken`, 10 s reuse grace), for two or more builds of the
 * server in ONE process, alternating rounds so the machine's noise hits them alike: 32 chains per
 * build (like the 32 connections of the HTTP bench), each on its own database (a SQLite file or a
 * PostgreSQL schema). Prints per round and build rotations/s (wall clock: on PostgreSQL the round
 * trips and the server's CPU are in it) and this process's CPU µs per rotation.
 *   node bench/micro/refresh-group-ab.mjs [sqlite|postgres] [rounds] [seconds] <dirA> <dirB> …
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRefreshFixture, rotateChains } from '../lib/refresh-fixture.mjs';

const [db = 'sqlite', rounds = '4', seconds = '3', ...dirs] = process.argv.slice(2);
const tmp = mkdtempSync(join(tmpdir(), 'tessera-group-ab-'));
const POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';
const T0 = Math.floor(Date.now() / 1000);
const builds = [];
for (const dir of dirs) {
  const m = (p) => import(pathToFileURL(join(dir, 'dist', p)).href);
  const { openStore } = await m('store/open-store.js');
  const ids = await m('ids.js');
  const { createRefreshRotationGroupCommit } = await m('tokens/refresh-rotation-group-commit.js');
  const schema = `bench_ab_${randomBytes(4).toString('hex')}`;
  const store =
    db === 'postgres' ? await openStore(POSTGRES, { schema }) : await openStore(join(tmp, `${schema}.db`));
  await store.migrate();
  const { client, tokenRecord } = await createRefreshFixture(store, ids, T0);
  const group = createRefreshRotationGroupCommit(store);
  const chains = [];
  for (let n = 0; n < 32; n += 1) {
    const t = tokenRecord();
    await store.insertRefreshToken(t);
    chains.push(t.hash);
  }
  builds.push({
    dir,
    store,
    schema,
    run: (until) => rotateChains(group, ids, client.id, chains, until),
  });
}
for (let r = 0; r < Number(rounds); r += 1) {
  const line = [];
  for (const b of builds) {
    const cpu = process.cpuUsage();
    const done = await b.run(Date.now() + Number(seconds) * 1000);
    const u = process.cpuUsage(cpu);
    line.push(
      `${b.dir}: ${Math.round(done / Number(seconds))}/s ${Math.round((u.user + u.system) / done)} µs`,
    );
  }
  console.log(`round ${r}: ${line.join(', ')}`);
}
for (const b of builds) {
  await b.store.close();
}
if (db === 'postgres') {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: POSTGRES });
  await c.connect();
  for (const b of builds) {
    await c.query(`drop schema "${b.schema}" cascade`);
  }
  await c.end();
}
rmSync(tmp, { recursive: true, force: true });
