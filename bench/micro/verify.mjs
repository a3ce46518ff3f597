/**
 * In-process micro-benchmark of access-token verification, run by `run.mjs` pinned to one core.
 * Reads `{ bench, seconds, warmup }` on stdin and prints `{ value, unit, nsPerOp }` on stdout.
 *
 * - `node-crypto`: the floor of any JWT check: split, decode the signature, one `crypto.verify`
 *   (ES256, IEEE P1363), JSON.parse of the payload. No claim checks.
 * - `jose`: `jose.jwtVerify` with a KeyObject, issuer, audience and algorithm checks.
 * - `uncached`: `@tessera/verify` `verifier.verify('Bearer …')` on tokens it has not seen: a pool
 *   larger than its cache, cycled, so every call misses (hash, signature, claims, cache insert).
 * - `cached`: the same verifier on one token seen before (hash, cache hit, denylist check).
 *
 * Calls are issued in batches of 64 awaited together, the same way for all four. With `ops: N`
 * instead of `seconds`, exactly N calls run (for instruction counts under callgrind).
 */
import { createPrivateKey, generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportJWK, jwtVerify } from 'jose';
import { ROOT_DIR } from '../lib/procs.mjs';

const ISSUER = 'https://auth.bench.local';
const AUDIENCE = 'https://api.bench.local';
const BATCH = 64;
/** Above the verifier's default cache of 10,000 entries, so a cycled pool always misses. */
const UNSEEN_POOL = 12_000;

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'bench' })).toString(
  'base64url',
);
const signer = createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }));

/** An RFC 9068 access token, signed like Tessera signs (node:crypto, P1363). */
function mintToken() {
  const now = Math.floor(Date.now() / 1000);
  const payload = Buffer.from(
    JSON.stringify({
      iss: ISSUER,
      sub: 'cli_benchbenchbenchbenchbe',
      aud: AUDIENCE,
      exp: now + 3600,
      iat: now,
      jti: randomUUID(),
      client_id: 'cli_benchbenchbenchbenchbe',
      scope: 'read',
    }),
  ).toString('base64url');
  const input = `${header}.${payload}`;
  const signature = sign('sha256', Buffer.from(input), { key: signer, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

function rawVerify(token) {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  const signature = Buffer.from(token.slice(second + 1), 'base64url');
  const ok = verify(
    'sha256',
    Buffer.from(token.slice(0, second)),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    signature,
  );
  if (!ok) {
    throw new Error('bad signature');
  }
  return JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'));
}

async function createTesseraVerifier() {
  let mod;
  try {
    // TESSERA_BENCH_VERIFY_DIR: another build of packages/verify (with its dist/), to compare builds.
    const dir = process.env.TESSERA_BENCH_VERIFY_DIR ?? join(ROOT_DIR, 'packages/verify');
    mod = await import(pathToFileURL(join(dir, 'dist/index.js')).href);
  } catch (error) {
    process.stdout.write(
      `${JSON.stringify({ skip: `packages/verify/dist missing (run tsc -b): ${error.message}` })}\n`,
    );
    process.exit(0);
  }
  const body = JSON.stringify({ keys: [jwk] });
  const verifier = mod.createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    revocations: false,
    endpoints: { jwksUri: `${ISSUER}/jwks` },
    fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }),
  });
  await verifier.ready();
  return verifier;
}

/** Runs `op(i)` in batches for `seconds`; returns operations per second. */
async function measure(op, seconds) {
  let done = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < until) {
    const batch = [];
    for (let i = 0; i < BATCH; i += 1) {
      batch.push(op(done + i));
    }
    await Promise.all(batch);
    done += BATCH;
    now = process.hrtime.bigint();
  }
  return (done * 1e9) / Number(now - start);
}

const job = await readStdin();
let op;
if (job.bench === 'node-crypto') {
  const token = mintToken();
  op = async () => rawVerify(token);
} else if (job.bench === 'jose') {
  const token = mintToken();
  op = () => jwtVerify(token, publicKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'] });
} else if (job.bench === 'cached') {
  const verifier = await createTesseraVerifier();
  const header = `Bearer ${mintToken()}`;
  await verifier.verify(header);
  op = () => verifier.verify(header);
} else if (job.bench === 'uncached') {
  const verifier = await createTesseraVerifier();
  const pool = Array.from({ length: UNSEEN_POOL }, () => `Bearer ${mintToken()}`);
  // One counter across warm-up and measurement: the cycle (12,000) outruns the LRU (10,000).
  let next = 0;
  op = () => {
    next = (next + 1) % UNSEEN_POOL;
    return verifier.verify(pool[next]);
  };
} else {
  throw new Error(`unknown bench ${job.bench}`);
}

if (job.ops !== undefined) {
  // A fixed count instead of a time (for instruction counts under valgrind --tool=callgrind: the
  // difference between `ops: N` and `ops: 0` is N operations' worth).
  for (let done = 0; done < job.ops; done += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, job.ops - done) }, (_, i) => op(done + i)));
  }
  process.stdout.write(`${JSON.stringify({ ops: job.ops })}\n`);
  process.exit(0);
}
if (job.warmup > 0) {
  await measure(op, job.warmup);
}
const value = await measure(op, job.seconds);
process.stdout.write(`${JSON.stringify({ value, unit: 'verifications/s', nsPerOp: 1e9 / value })}\n`);
