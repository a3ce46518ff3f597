/**
 * Instructions per served `POST /api-keys/verify`, a figure no other load on the machine changes:
 * run this under valgrind (the load process it forks runs natively, valgrind's default
 * `--trace-children=no`) twice with different request counts; the difference of the two totals
 * divided by the difference of the counts is one answer's instructions, socket included.
 *
 *   valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
 *     node bench/micro/served-count.mjs <dir> <warm-up requests> <requests>
 *
 * (`Ir` in valgrind's summary on stderr is the total.) The build is started as for
 * bench/micro/served-ab.mjs (bench/lib/served-build.mjs); the warm-up lets the JIT settle first.
 */
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBuild } from '../lib/served-build.mjs';

const [dir, warmupArg, requestsArg] = process.argv.slice(2);
if (dir === undefined) {
  process.stderr.write('usage: node bench/micro/served-count.mjs <dir> <warm-up requests> <requests>\n');
  process.exit(2);
}
const loader = fork(join(dirname(fileURLToPath(import.meta.url)), 'served-ab-load.mjs'));
function load(job, amount) {
  return new Promise((resolve) => {
    loader.once('message', resolve);
    loader.send({ ...job, amount });
  });
}
// Under valgrind a second of the clock is a few hundred answers: timers that fire by the clock (the
// usage batch every 5 s) would be counted per answer many times over; the batch is measured apart.
const build = await startBuild(dir, 'count', { 'apiKeys.usageFlushInterval': '1h' });
try {
  for (const amount of [Number(warmupArg), Number(requestsArg)]) {
    if (amount > 0) {
      const { ok, total } = await load(build.job, amount);
      if (ok !== total) {
        throw new Error(`${total - ok} of ${total} answers were not successes`);
      }
      process.stdout.write(`served-count ${dir}: ${ok} answers\n`);
    }
  }
} finally {
  loader.kill();
  await build.close();
}
