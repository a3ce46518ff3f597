/**
 * Revocation propagation, run by `run.mjs` pinned to the load core. Reads a job on stdin:
 * `{ url, issuer, audience, count, owner: {id, secret}, resourceServer: {id, secret} }`.
 *
 * A `@tessera/verify` verifier connects to Tessera's revocation stream (SSE) as an API server
 * would. The client `owner` gets `count` JWT access tokens; the verifier verifies each once (so each
 * sits in its cache, the case where a missed event would matter). Then, one at a time, each token
 * is revoked with `POST /revoke` (RFC 7009) and the clock runs until `verifier.verify` rejects it.
 * The latency is from sending the revocation to the first rejection, so it includes the /revoke
 * round trip, the event's way through the bus and the stream, and the cache eviction.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ROOT_DIR } from './lib/procs.mjs';
import { basic } from './lib/requests.mjs';
import { percentile } from './lib/stats.mjs';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const job = await readStdin();
const { createVerifier } = await import(pathToFileURL(join(ROOT_DIR, 'packages/verify/dist/index.js')).href);

/** Tessera runs behind a "proxy" with an https issuer: say so on every call, as the proxy would. */
const proxied = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('x-forwarded-proto', 'https');
  return fetch(input, { ...init, headers });
};

async function post(path, client, body) {
  const response = await proxied(`${job.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic(client.id, client.secret),
    },
    body,
  });
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(`${path} answered ${response.status}: ${text.slice(0, 300)}`);
  }
  return text === '' ? {} : JSON.parse(text);
}

const errors = [];
const verifier = createVerifier({
  issuer: job.issuer,
  audience: job.audience,
  client: { clientId: job.resourceServer.id, clientSecret: job.resourceServer.secret },
  endpoints: {
    jwksUri: `${job.url}/jwks`,
    introspectionEndpoint: `${job.url}/introspect`,
    revocationStreamEndpoint: `${job.url}/revocations/stream`,
  },
  fetch: proxied,
  onError: (error) => errors.push(String(error?.message ?? error)),
});

try {
  await Promise.race([
    verifier.ready(),
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`verifier not ready after 10 s: ${errors.join('; ')}`)), 10_000),
    ),
  ]);

  const tokens = [];
  for (let n = 0; n < job.count; n += 1) {
    const body = await post('/token', job.owner, 'grant_type=client_credentials&scope=read');
    tokens.push(body.access_token);
  }
  for (const token of tokens) {
    await verifier.verify(`Bearer ${token}`);
  }

  const latencies = [];
  const deadlineMs = 5000;
  let missed = 0;
  for (const token of tokens) {
    const header = `Bearer ${token}`;
    const start = performance.now();
    await post('/revoke', job.owner, `token=${encodeURIComponent(token)}&token_type_hint=access_token`);
    for (;;) {
      const rejected = await verifier.verify(header).then(
        () => false,
        () => true,
      );
      const elapsed = performance.now() - start;
      if (rejected) {
        latencies.push(elapsed);
        break;
      }
      if (elapsed > deadlineMs) {
        missed += 1;
        break;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  process.stdout.write(
    `${JSON.stringify({
      count: latencies.length,
      missed,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
      status: verifier.status().revocations,
      errors: errors.slice(0, 5),
    })}\n`,
  );
} finally {
  await verifier.close();
}
