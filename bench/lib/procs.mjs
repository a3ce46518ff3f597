/**
 * Processes of the benchmark: servers pinned to one core, the load generator pinned to the other,
 * peak resident memory from /proc, and orderly shutdown.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
export const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Core layout: servers on core 0, the load generator on the last core; `spread` (cluster workers)
 * on every core but the load generator's when there are 3 or more, else on all of them.
 */
export const LOAD_CORE = String(availableParallelism() - 1);
export const SPREAD_CORES =
  availableParallelism() >= 3 ? `0-${availableParallelism() - 2}` : `0-${availableParallelism() - 1}`;

/** taskset exists and there are at least two cores. */
export function canPin() {
  return availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
}

/** The command line that runs `node args` pinned to `cores` (a taskset list such as `0` or `0,1`). */
export function pinned(cores, args, pin = canPin()) {
  return pin && cores !== undefined
    ? ['taskset', ['-c', cores, process.execPath, ...args]]
    : [process.execPath, args];
}

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a server process pinned to `cores`, its output appended to `logFile` (servers log to a
 * file as in production, not to a terminal). Resolves once `readyUrl` answers.
 */
export async function startServer({ args, env, cores, logFile, readyUrl, timeoutMs = 60_000 }) {
  const [command, argv] = pinned(cores, args);
  const out = openSync(logFile, 'a');
  const child = spawn(command, argv, {
    cwd: ROOT_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', out, out],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.exited = exited;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await Promise.race([exited.then((e) => ({ exited: e })), sleep(100).then(() => undefined)]);
    if (state !== undefined) {
      throw new Error(`${args.join(' ')} exited early (${JSON.stringify(state.exited)}); see ${logFile}`);
    }
    try {
      const response = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status < 500) {
        return child;
      }
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stopProcess(child);
      throw new Error(`${args.join(' ')} did not answer ${readyUrl} within ${timeoutMs} ms; see ${logFile}`);
    }
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Direct children of a process (cluster workers). */
export function childPids(pid) {
  const path = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(path)) {
    return [];
  }
  return readFileSync(path, 'utf8')
    .trim()
    .split(/\s+/)
    .filter((p) => p !== '')
    .map(Number);
}

/**
 * The node process that serves: the pid itself, or, under cluster, its workers. With taskset the
 * spawned pid is already node (taskset execs it).
 */
export function servingPids(pid) {
  const children = childPids(pid);
  return children.length > 0 ? children : [pid];
}

/** VmHWM (peak resident set) of a process in MB, or NaN when /proc is not readable. */
export function peakRssMb(pid) {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? Number.NaN : Number(match[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** Resets VmHWM (Linux: writing 5 to clear_refs), so the next reading is this scenario's peak. */
export function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // Not permitted here: the reading stays the process's lifetime peak, still an upper bound.
  }
}

/** The largest peak RSS among the serving processes (the per-worker figure). */
export function peakRssOfServer(pid) {
  return Math.max(...servingPids(pid).map(peakRssMb));
}

export function resetPeakRssOfServer(pid) {
  for (const p of servingPids(pid)) {
    resetPeakRss(p);
  }
}

/** Runs `node script` pinned to `cores` with `input` as JSON on stdin; resolves with its JSON output. */
export function runJsonChild(script, input, { cores, nodeArgs = [], env = {} } = {}) {
  const [command, argv] = pinned(cores, [...nodeArgs, script]);
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, {
      cwd: ROOT_DIR,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0) {
        reject(new Error(`${script} failed (${code}): ${stderr.trim().slice(-2000)}`));
        return;
      }
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`${script} printed no JSON: ${stdout.slice(-500)} ${stderr.slice(-500)}`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}

/** CPU milliseconds the processes have used so far (utime + stime from /proc, ticks of 10 ms). */
export function cpuMsOf(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return Number.NaN;
    }
  }
  return ticks * 10;
}

/**
 * Waits until the serving processes are nearly idle (under 10 % of a core over 500 ms, at most
 * `maxMs`): the sign-in scenarios leave queued argon2 work behind when the load stops, which must
 * not run into the next scenario's measurement.
 */
export async function waitUntilIdle(pid, maxMs = 30_000) {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const pids = servingPids(pid);
    const before = cpuMsOf(pids);
    await sleep(500);
    const used = cpuMsOf(pids) - before;
    if (!(used > 50)) {
      return;
    }
  }
}
