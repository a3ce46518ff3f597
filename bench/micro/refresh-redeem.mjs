/**
 * The refresh grant's store work, two ways, on one build in one process (issue 18): `lookups` is
 * what the grant did before `redeemRefreshToken` (`findRefreshToken`, `findUser`, then
 * `rotateRefreshToken`), `redeem` is the one verb it uses now. Both go through the group commit
 * (tokens/refresh-rotation-group-commit.ts) with a 10 s reuse grace, 32 chains each (like the 32
 * connections of the HTTP bench), each on its own database (a SQLite file, or a PostgreSQL schema),
 * in alternating rounds so the machine's noise hits both alike. Prints this process's CPU µs per
 * rotation (user + system) per way, the median of the rounds, and redeem/lookups with its range.
 *   node bench/micro/refresh-redeem.mjs [sqlite|postgres] [rounds] [rotations per round]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT_DIR } from '../lib/procs.mjs';
import { createRefreshFixture } from '../lib/refresh-fixture.mjs';

const [db = 'sqlite', roundsArg = '10', perRoundArg = '2000'] = process.argv.slice(2);
const ROUNDS = Number(roundsArg);
const PER_ROUND = Number(perRoundArg);
const CHAINS = 32;
const SERVER_DIR = process.env.TESSERA_BENCH_SERVER_DIR ?? join(ROOT_DIR, 'packages/server');
const server = (path) => import(pathToFileURL(join(SERVER_DIR, 'dist', path)).href);
const { openStore } = await server('store/open-store.js');
const ids = await server('ids.js');
const { createRefreshRotationGroupCommit } = await server('tokens/refresh-rotation-group-commit.js');
const T0 = Math.floor(Date.now() / 1000);
const dir = mkdtempSync(join(tmpdir(), 'tessera-redeem-'));

async function setUp(way) {
  const url = db === 'postgres' ? 'postgres://postgres@127.0.0.1:5432/test' : join(dir, `${way}.db`);
  const schema = `bench_${way}_${randomBytes(4).toString('hex')}`;
  const store = await openStore(url, db === 'postgres' ? { schema } : {});
  await store.migrate();
  const { client, tokenRecord } = await createRefreshFixture(store, ids, T0);
  const group = createRefreshRotationGroupCommit(store);
  const chains = [];
  for (let n = 0; n < CHAINS; n += 1) {
    const token = tokenRecord();
    await store.insertRefreshToken(token);
    chains.push(token.hash);
  }
  async function rotate(chain) {
    const hash = chains[chain];
    const now = Math.floor(Date.now() / 1000);
    const next = ids.hashSecret(ids.mintSecret('rt'));
    const grace = { until: now + 10, sealedSuccessor: `sealed:${next}` };
    let result;
    if (way === 'redeem') {
      result = await group.redeemRefreshToken(
        { hash, clientId: client.id, jkt: null },
        { hash: next, issuedAt: now, expiresAt: now + 14 * 86_400 },
        now,
        grace,
      );
    } else {
      const token = await store.findRefreshToken(hash);
      if ((await store.findUser(token.userId)) === undefined) {
        throw new Error('no user');
      }
      const successor = {
        ...token,
        hash: next,
        issuedAt: now,
        expiresAt: Math.min(now + 14 * 86_400, token.familyExpiresAt),
        usedAt: null,
        revokedAt: null,
      };
      result = await group.rotateRefreshToken(hash, successor, now, grace);
    }
    if (result.status !== 'rotated') {
      throw new Error(`${way}: ${result.status}`);
    }
    chains[chain] = next;
  }
  return {
    way,
    async round(count) {
      let started = 0;
      const cpu = process.cpuUsage();
      await Promise.all(
        chains.map(async (_, chain) => {
          while (started < count) {
            started += 1;
            await rotate(chain);
          }
        }),
      );
      const used = process.cpuUsage(cpu);
      return (used.user + used.system) / started;
    },
    close: () => store.close(),
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ways = [await setUp('lookups'), await setUp('redeem')];
try {
  for (const way of ways) {
    await way.round(500);
  }
  const samples = ways.map(() => []);
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      samples[i].push(await ways[i].round(PER_ROUND));
    }
  }
  for (const [i, way] of ways.entries()) {
    process.stdout.write(
      `${db} ${way.way}: ${median(samples[i]).toFixed(0)} µs CPU/rotation (median of ${ROUNDS} × ${PER_ROUND})\n`,
    );
  }
  const ratios = samples[1].map((b, round) => b / samples[0][round]);
  process.stdout.write(
    `${db} redeem/lookups ${(median(samples[1]) / median(samples[0])).toFixed(3)} (per-round ratios ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})\n`,
  );
} finally {
  for (const way of ways) {
    await way.close();
  }
  rmSync(dir, { recursive: true, force: true });
}
