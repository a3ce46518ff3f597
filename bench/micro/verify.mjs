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
import { jwtVerify } from 'jose';
import {
  AUDIENCE,
  BATCH,
  createTesseraVerifier as createVerifierOf,
  ISSUER,
  mintToken,
  publicKey,
  rawVerify,
  UNSEEN_POOL,
} from '../lib/verify-fixture.mjs';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function createTesseraVerifier() {
  // TESSERA_BENCH_VERIFY_DIR: another build of packages/verify (with its dist/), to compare builds.
  const { verifier, missing } = await createVerifierOf(process.env.TESSERA_BENCH_VERIFY_DIR);
  if (verifier === undefined) {
    process.stdout.write(`${JSON.stringify({ skip: missing })}\n`);
    process.exit(0);
  }
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
