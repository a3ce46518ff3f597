/**
 * CPU per raw `@node-rs/argon2` verification with 1 and with 4 running at once, in alternating
 * batches in one process (Tessera's hasher parameters: argon2id, m = 19 MiB, t = 2, p = 1). Run it
 * pinned as the bench pins its servers, to see what four argon2 threads on one core cost against
 * one (the reference handler runs four, Tessera's `login.verifyConcurrency` one on one core):
 *
 *   taskset -c 0 node bench/micro/argon2-concurrency.mjs [rounds] [verifications per batch]
 *
 * Prints, per concurrency, the median and every batch's CPU ms (user + system, all threads) per
 * verification, and the median wall ms per verification.
 */
import { hash, verify } from '@node-rs/argon2';

const ROUNDS = Number(process.argv[2] ?? 6);
const BATCH = Number(process.argv[3] ?? 80);
const PASSWORD = 'correct horse battery staple';
// The parameters of packages/server/src/users/password-hasher.ts (2 = Algorithm.Argon2id).
const encoded = await hash(PASSWORD, { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });

async function batch(concurrency) {
  let next = 0;
  const cpu = process.cpuUsage();
  const wall = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < BATCH) {
        next += 1;
        if (!(await verify(encoded, PASSWORD))) {
          throw new Error('the password did not verify');
        }
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / 1000 / BATCH, wall: (performance.now() - wall) / BATCH };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const samples = { 1: [], 4: [] };
for (let round = 0; round < ROUNDS; round += 1) {
  for (const concurrency of round % 2 === 0 ? [1, 4] : [4, 1]) {
    samples[concurrency].push(await batch(concurrency));
  }
}
for (const [concurrency, runs] of Object.entries(samples)) {
  const cpu = runs.map((run) => run.cpu);
  process.stdout.write(
    `concurrency ${concurrency}: ${median(cpu).toFixed(2)} ms CPU/verification (${cpu.map((c) => c.toFixed(1)).join(' ')}), ${median(runs.map((run) => run.wall)).toFixed(2)} ms wall\n`,
  );
}
