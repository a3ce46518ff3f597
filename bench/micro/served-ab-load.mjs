/**
 * The load side of bench/micro/served-ab.mjs, in its own process: on each IPC message
 * `{ port, seconds | amount, connections, path, headers, bodies, expect, timeout? }` it runs autocannon
 * against 127.0.0.1:port for `seconds` (or exactly `amount` requests), cycling the bodies, and
 * answers `{ ok, total }` (ok: 2xx holding `expect`; or, when the job names a `status`, that status
 * holding `expect`, e.g. the busy sign-in page's 503). With `rotate: { tokens, field, bodyPrefix }`
 * (refresh rotation, as bench/load.mjs) every request spends a token of the pool instead (body
 * `bodyPrefix` + token) and puts back the answer's `field`; the answer then also carries the pool
 * (`tokens`), for the next job of the same server: a spent refresh token never comes back.
 */
import autocannon from 'autocannon';

process.on('message', async (job) => {
  let next = 0;
  let ok = 0;
  const pool = job.rotate === undefined ? undefined : [...job.rotate.tokens];
  const result = await autocannon({
    url: `http://127.0.0.1:${job.port}`,
    connections: job.connections,
    ...(job.amount === undefined ? { duration: job.seconds } : { amount: job.amount }),
    // A slow moment of a shared machine is not a failure of the build (seconds per request).
    timeout: job.timeout ?? 120,
    requests: [
      {
        method: 'POST',
        path: job.path,
        headers: job.headers,
        setupRequest(request) {
          if (pool !== undefined) {
            const token = pool.pop();
            return token === undefined
              ? undefined
              : { ...request, body: `${job.rotate.bodyPrefix}${encodeURIComponent(token)}` };
          }
          const body = job.bodies[next];
          next = (next + 1) % job.bodies.length;
          return { ...request, body };
        },
        onResponse(status, body) {
          const wanted = job.status === undefined ? status >= 200 && status < 300 : status === job.status;
          if (wanted && body.includes(job.expect)) {
            ok += 1;
          }
          if (pool !== undefined && status === 200) {
            const token = JSON.parse(body)[job.rotate.field];
            if (typeof token === 'string') {
              pool.unshift(token);
            }
          }
        },
      },
    ],
  });
  process.send({ ok, total: result.requests.total, ...(pool === undefined ? {} : { tokens: pool }) });
});
