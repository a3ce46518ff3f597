/**
 * The load generator, run by `run.mjs` in its own process (pinned to its own core with taskset).
 * Reads one job as JSON on stdin, runs a warm-up and then the measured autocannon run against
 * 127.0.0.1, and prints one JSON line with the figures on stdout.
 *
 * Job: { url, connections, duration, warmup, request: { method, path, headers, body },
 *        variants?: { headers?, body }[],
 *        rotate?: { tokens: string[], field: 'refresh_token', bodyPrefix: string } }
 *
 * `variants` cycles the requests through several credentials (clients, API keys), so a cache in
 * the server sees a working set rather than one hot entry. With `once: true` each variant is sent at
 * most once (the unseen-token introspection: a token the server has never seen); should the pool
 * run out, the harness keeps going round it but counts every repeat as `reused`, which fails the
 * run (`lib/answers.mjs`), so a figure never silently turns into the seen path.
 *
 * `expect` (a substring) is what a successful answer's body holds (`"access_token"`, `"valid":true`,
 * `"active":true`): only 2xx answers holding it count towards the throughput, since a 401, a 429 or
 * a 200 `{"valid":false}` is cheaper than the real work and must never inflate a figure. Answers
 * that are 2xx without it are reported as `unexpected`.
 *
 * `serverPids` (optional): the serving processes; their CPU time (user + system, from /proc) over the
 * measured run is reported per successful answer (`serverCpuMsPerOk`), a figure that other load on
 * the machine distorts far less than throughput.
 *
 * `collect` (a JSON member name, optional): every successful answer's value of it is gathered and
 * printed as `collected` (how the harness issues the unseen-token pool at full speed).
 *
 * `rotate` is for refresh-token rotation: every request spends one refresh token from a shared
 * pool and puts back the new one from the response (RFC 9700 §4.14.2: each token is single use).
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { createAnswerTally } from './lib/answers.mjs';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Where the variants stand: shared by the warm-up and the measured run, so a use-once token sent
 * in the warm-up is not sent again (it would be a token seen before).
 */
const cursor = { next: 0, sent: 0 };

function requestsOf(job, pool) {
  const base = {
    method: job.request.method,
    path: job.request.path,
    headers: job.request.headers,
    onResponse: (status, body, _context, headers) => {
      counts.count(status, body, headers);
      if (job.collect !== undefined && status === 200) {
        const value = JSON.parse(body)[job.collect];
        if (typeof value === 'string') {
          collected.push(value);
        }
      }
    },
  };
  if (job.variants !== undefined && job.variants.length > 0) {
    return [
      {
        ...base,
        setupRequest(request) {
          const variant = job.variants[cursor.next];
          cursor.next = (cursor.next + 1) % job.variants.length;
          cursor.sent += 1;
          if (job.once === true && cursor.sent > job.variants.length) {
            reuse.count += 1;
          }
          return {
            ...request,
            headers: { ...base.headers, ...variant.headers },
            body: variant.body ?? job.request.body,
          };
        },
      },
    ];
  }
  if (job.rotate === undefined) {
    return [{ ...base, body: job.request.body }];
  }
  return [
    {
      ...base,
      setupRequest(request) {
        const token = pool.pop();
        if (token === undefined) {
          return undefined;
        }
        return { ...request, body: `${job.rotate.bodyPrefix}${encodeURIComponent(token)}` };
      },
      onResponse(status, body) {
        counts.count(status, body);
        if (status === 200) {
          const next = JSON.parse(body)[job.rotate.field];
          if (typeof next === 'string') {
            pool.unshift(next);
          }
        }
      },
    },
  ];
}

function run(job, duration, pool) {
  return autocannon({
    url: job.url,
    connections: job.connections,
    duration,
    requests: requestsOf(job, pool),
    // A request that waits this long is counted as a timeout, not a latency figure.
    timeout: 10,
  });
}

const job = await readStdin();
const counts = createAnswerTally(job.expect);
const collected = [];
/** Requests that sent a use-once variant again (`once`); counted over the measured run only. */
const reuse = { count: 0 };
// One pool across the warm-up and the measured run: a spent refresh token never comes back.
const pool = job.rotate === undefined ? [] : [...job.rotate.tokens];
if (job.warmup > 0) {
  await run(job, job.warmup, pool);
}
/** CPU milliseconds the serving processes have used so far (utime + stime, in clock ticks of 10 ms). */
function serverCpuMs() {
  let ticks = 0;
  for (const pid of job.serverPids ?? []) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return Number.NaN;
    }
  }
  return ticks * 10;
}

counts.reset();
reuse.count = 0;
const cpuBefore = serverCpuMs();
const result = await run(job, job.duration, pool);
const cpuUsed = serverCpuMs() - cpuBefore;
const seconds = result.duration > 0 ? result.duration : job.duration;
process.stdout.write(
  `${JSON.stringify({
    // Successful answers only (see `expect` above); `total` counts every answer.
    rps: counts.ok / seconds,
    ok: counts.ok,
    unexpected: counts.unexpected,
    // Refusals a flood expects (503 busy, 429 throttled): never successes, never failures.
    refused: counts.refused,
    reused: reuse.count,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: result.statusCodeStats,
    seconds,
    serverCpuMsPerOk: job.serverPids === undefined || counts.ok === 0 ? null : cpuUsed / counts.ok,
    ...(job.collect === undefined ? {} : { collected }),
    ...(job.once === true ? { pool: job.variants.length } : {}),
  })}\n`,
);
