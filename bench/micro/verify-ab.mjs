/**
 * Two builds of `@tessera/verify` in ONE process, in alternating rounds, beside the raw
 * `node:crypto` floor: an A/B that a machine shared with other jobs cannot skew towards either side
 * (all three see the same minute, the same core, the same neighbours). Each build is a copy of
 * packages/verify with its `dist/` (as TESSERA_BENCH_VERIFY_DIR for `micro/verify.mjs`).
 *
 *   node bench/micro/verify-ab.mjs <cached|uncached> <rounds> <ops> <dirA> [<dirB>]
 *
 * `cached`: one token seen before, `verifier.verify('Bearer …')` again and again; `uncached`: a pool
 * of 12,000 tokens cycled through a cache of 10,000, so every call misses (as `micro/verify.mjs`).
 * Each round runs `ops` calls of each side (raw first, then A and B in turn, the order swapped every
 * round), in batches of 64 awaited together. Prints, per side, the median and range over the rounds
 * of CPU µs per call (`process.cpuUsage`, user + system) and of wall µs per call, then B/A and each
 * build's rate as a share of raw's (raw µs / build µs: the "× raw" of issue 18).
 */
import { BATCH, createTesseraVerifier, mintToken, rawVerify, UNSEEN_POOL } from '../lib/verify-fixture.mjs';

const [mode, roundsArg, opsArg, ...dirs] = process.argv.slice(2);
if ((mode !== 'cached' && mode !== 'uncached') || dirs.length === 0) {
  process.stderr.write(
    'usage: node bench/micro/verify-ab.mjs <cached|uncached> <rounds> <ops> <dirA> [<dirB>]\n',
  );
  process.exit(2);
}
const ROUNDS = Number(roundsArg ?? 10);
const OPS = Number(opsArg ?? (mode === 'cached' ? 200_000 : 2_000));

/** One side: a name and an operation `op(i)` returning a promise. */
async function sideOf(dir, label) {
  const { verifier, missing } = await createTesseraVerifier(dir);
  if (verifier === undefined) {
    throw new Error(missing);
  }
  if (mode === 'cached') {
    const header = `Bearer ${mintToken()}`;
    await verifier.verify(header);
    return { label, op: () => verifier.verify(header) };
  }
  const pool = Array.from({ length: UNSEEN_POOL }, () => `Bearer ${mintToken()}`);
  let next = 0;
  return {
    label,
    op: () => {
      next = (next + 1) % UNSEEN_POOL;
      return verifier.verify(pool[next]);
    },
  };
}

const rawToken = mintToken();
const sides = [{ label: 'raw node:crypto', op: async () => rawVerify(rawToken) }];
for (const [index, dir] of dirs.entries()) {
  sides.push(await sideOf(dir, `${String.fromCharCode(65 + index)} ${dir}`));
}

async function run(op, ops) {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let done = 0; done < ops; done += BATCH) {
    const batch = [];
    for (let i = 0; i < BATCH; i += 1) {
      batch.push(op(done + i));
    }
    await Promise.all(batch);
  }
  const wall = Number(process.hrtime.bigint() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / ops, wall: wall / ops };
}

const samples = sides.map(() => ({ cpu: [], wall: [] }));
// Warm-up: every side once. In the uncached mode each build's cache is filled first (a whole turn of
// the pool), so every measured call is a miss into a full cache, with its eviction, as in
// `micro/verify.mjs`; with fewer calls the first rounds would miss into a cache not yet full.
for (const [i, side] of sides.entries()) {
  await run(side.op, mode === 'uncached' && i > 0 ? UNSEEN_POOL : Math.min(OPS, 20_000));
}
for (let round = 0; round < ROUNDS; round += 1) {
  const order = [0, ...(round % 2 === 0 ? [1, 2] : [2, 1]).filter((i) => i < sides.length)];
  for (const i of order) {
    // raw is a signature check per call: in the cached mode, run as many calls as one unseen round.
    const ops = i === 0 && mode === 'cached' ? Math.max(BATCH, Math.round(OPS / 100)) : OPS;
    const { cpu, wall } = await run(sides[i].op, ops);
    samples[i].cpu.push(cpu);
    samples[i].wall.push(wall);
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const range = (values) => `${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}`;
const [loadAverage] = (await import('node:os')).loadavg();
process.stdout.write(`${mode}, ${ROUNDS} rounds of ${OPS} calls, load average ${loadAverage.toFixed(2)}\n`);
for (const [i, side] of sides.entries()) {
  const cpu = median(samples[i].cpu);
  const wall = median(samples[i].wall);
  const share =
    i === 0
      ? ''
      : `  × raw: cpu ${(median(samples[0].cpu) / cpu).toFixed(3)}, wall ${(median(samples[0].wall) / wall).toFixed(3)}`;
  process.stdout.write(
    `${side.label}\n  cpu µs/call ${cpu.toFixed(3)} (${range(samples[i].cpu)}), wall µs/call ${wall.toFixed(3)} (${range(samples[i].wall)}) = ${Math.round(1e6 / wall).toLocaleString('en')}/s${share}\n`,
  );
}
if (sides.length === 3) {
  const ratio = (key) => median(samples[2][key].map((b, r) => b / samples[1][key][r]));
  process.stdout.write(
    `B/A per round, median: cpu ${ratio('cpu').toFixed(3)}, wall ${ratio('wall').toFixed(3)}\n`,
  );
}
process.exit(0);
