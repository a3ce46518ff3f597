/**
 * CPU per answer of `POST /api-keys/verify` for two builds of the server in ONE process, served
 * over real sockets (so the HTTP parser, the headers and the write count, which `http-path.mjs`'s
 * `inject()` leaves out): both builds listen on 127.0.0.1; a load process (served-ab-load.mjs,
 * autocannon, 32 connections) hits A, then B, then A … for `seconds` each; this process's CPU time
 * (user + system) over each window, divided by the successful answers, is that build's figure.
 * Only one build has load at a time, so the other's share is its idle timers.
 *
 *   node bench/micro/served-ab.mjs <rounds> <seconds> <dirA> <dirB> [scenario]
 *
 * `scenario` (lib/served-build.mjs): `api-key-verify` (default), `cc-jwt-es256`, `introspect-jwt`,
 * `introspect-opaque` (one token introspected again and again: the seen path), or `login-busy` (the
 * busy sign-in refusal of `flood.login`: CPU per `503`).
 *
 * Each build: the production settings of bench/micro/http-path.mjs (https issuer behind a proxy,
 * `info` access log to a sink, SQLite, rate limits raised but running), one resource server with
 * `api_keys:verify`, 1,000 keys in rotation. Prints each build's median µs per answer and the median
 * of the per-round B/A. Pin it with `taskset -c 0` and the load elsewhere for steadier figures.
 */
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBuild } from '../lib/served-build.mjs';

const [roundsArg, secondsArg, dirA, dirB, scenario = 'api-key-verify'] = process.argv.slice(2);
const dirs = [dirA, dirB];
// Not `refresh`: its tokens are spent, so the two builds' loads would need a pool each (count-served.mjs has it).
if (
  dirA === undefined ||
  dirB === undefined ||
  !['api-key-verify', 'cc-jwt-es256', 'introspect-jwt', 'introspect-opaque', 'login-busy'].includes(scenario)
) {
  process.stderr.write(
    'usage: node bench/micro/served-ab.mjs <rounds> <seconds> <dirA> <dirB> [api-key-verify|cc-jwt-es256|introspect-jwt|introspect-opaque|login-busy]\n',
  );
  process.exit(2);
}
const ROUNDS = Number(roundsArg);
const SECONDS = Number(secondsArg);
const loader = fork(join(dirname(fileURLToPath(import.meta.url)), 'served-ab-load.mjs'));
function load(job, seconds) {
  return new Promise((resolve) => {
    loader.once('message', resolve);
    loader.send({ ...job, seconds });
  });
}

/** One window of load on one build: µs of this process's CPU per successful answer. */
async function window(build, seconds) {
  const started = process.cpuUsage();
  const { ok, total } = await load(build.job, seconds);
  const used = process.cpuUsage(started);
  if (ok === 0 || ok !== total) {
    throw new Error(`${build.label}: ${total - ok} of ${total} answers were not successes`);
  }
  return { us: (used.user + used.system) / ok, ok };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const builds = [await startBuild(dirs[0], 'A', {}, scenario), await startBuild(dirs[1], 'B', {}, scenario)];
try {
  for (const build of builds) {
    await window(build, 2);
  }
  const samples = [[], []];
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      samples[i].push((await window(builds[i], SECONDS)).us);
    }
  }
  for (const [i, build] of builds.entries()) {
    const s = samples[i];
    process.stdout.write(
      `served ${scenario} ${build.label} ${build.dir}: ${median(s).toFixed(1)} µs CPU/answer (median of ${ROUNDS} × ${SECONDS} s; range ${Math.min(...s).toFixed(1)}–${Math.max(...s).toFixed(1)})\n`,
    );
  }
  const ratios = samples[1].map((b, round) => b / samples[0][round]);
  process.stdout.write(
    `served ${scenario} B/A ${(median(samples[1]) / median(samples[0])).toFixed(3)} (per-round ratios ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}, median ${median(ratios).toFixed(3)})\n`,
  );
} finally {
  loader.kill();
  for (const build of builds) {
    await build.close();
  }
}
