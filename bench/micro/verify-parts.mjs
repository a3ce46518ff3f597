/**
 * What the parts of an unseen-token verification cost, each alone, in one process (CPU µs per call,
 * median of 5 rounds after a warm-up; calls in batches of 64 as in `micro/verify.mjs`), beside the
 * raw `node:crypto` floor on one token and on the 12,000-token pool (is reusing one token a help
 * to raw?) and the whole `verifier.verify` of the build in `dir` (a copy of packages/verify with its
 * `dist/`; default the checkout's).
 *
 *   node bench/micro/verify-parts.mjs [<dir>]
 */
import { hash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLocalJWKSet, exportJWK, UnsecuredJWT } from 'jose';
import { ROOT_DIR } from '../lib/procs.mjs';
import {
  AUDIENCE,
  createTesseraVerifier,
  ISSUER,
  mintToken,
  publicKey,
  rawVerify,
  UNSEEN_POOL,
} from '../lib/verify-fixture.mjs';

const dir = process.argv[2] ?? join(ROOT_DIR, 'packages/verify');
const load = (file) => import(pathToFileURL(join(dir, 'dist', file)).href);
const jws = await load('jws-signature.js');
const bearer = await load('bearer.js');
const { createJwtVerifier } = await load('jwt.js');

const pool = Array.from({ length: UNSEEN_POOL }, () => mintToken());
const headers = pool.map((token) => `Bearer ${token}`);
const { verifier } = await createTesseraVerifier(dir);
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
const local = createLocalJWKSet({ keys: [jwk] });
const body = JSON.stringify({ keys: [jwk] });
const jwt = createJwtVerifier({
  issuer: ISSUER,
  audience: [AUDIENCE],
  algorithms: ['ES256'],
  clockTolerance: 5,
  jwksUri: async () => `${ISSUER}/jwks`,
  cooldownMs: 30_000,
  cacheMaxAgeMs: 600_000,
  timeoutMs: 5_000,
  fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }),
});
const now = Math.floor(Date.now() / 1000);
// The rules and `none` header `jwt.ts` gives jose's UnsecuredJWT.decode.
const rules = {
  issuer: ISSUER,
  audience: [AUDIENCE],
  algorithms: ['ES256'],
  typ: 'at+jwt',
  clockTolerance: 5,
  currentDate: new Date(now * 1000),
  requiredClaims: ['exp', 'iat', 'sub', 'jti', 'client_id'],
};
const unsecured = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');

/** A cycling index per part, so no part sees the pool's tokens in another part's order. */
function cycler() {
  let next = 0;
  return () => {
    next = (next + 1) % UNSEEN_POOL;
    return next;
  };
}
function payloadOf(token) {
  const first = token.indexOf('.');
  return token.slice(first + 1, token.indexOf('.', first + 1));
}
const parts = [
  ['raw node:crypto, one token', 'slow', () => rawVerify(pool[0])],
  [
    'raw node:crypto, pool cycled',
    'slow',
    (
      (i) => () =>
        rawVerify(pool[i()])
    )(cycler()),
  ],
  [
    'SHA-256 of the token, base64url',
    'fast',
    (
      (i) => () =>
        hash('sha256', pool[i()], 'base64url')
    )(cycler()),
  ],
  [
    'SHA-256 of the token, latin1',
    'fast',
    (
      (i) => () =>
        hash('sha256', pool[i()], 'latin1')
    )(cycler()),
  ],
  [
    'parseAuthorization (bearer.ts)',
    'fast',
    (
      (i) => () =>
        bearer.parseAuthorization(headers[i()])
    )(cycler()),
  ],
  [
    'parsePlainCompactJws',
    'fast',
    (
      (i) => () =>
        jws.parsePlainCompactJws(pool[i()], ['ES256'])
    )(cycler()),
  ],
  ['jose JWKS key lookup (local set)', 'fast', () => local({ alg: 'ES256', kid: 'bench', typ: 'at+jwt' })],
  [
    'payload: base64url + JSON.parse',
    'fast',
    (
      (i) => () =>
        JSON.parse(Buffer.from(payloadOf(pool[i()]), 'base64url').toString('utf8'))
    )(cycler()),
  ],
  [
    'payload: jose UnsecuredJWT.decode',
    'fast',
    (
      (i) => () =>
        UnsecuredJWT.decode(`${unsecured}.${payloadOf(pool[i()])}.`, rules)
    )(cycler()),
  ],
  [
    'jwt.ts verify (signature + claims)',
    'slow',
    (
      (i) => () =>
        jwt.verify(pool[i()], now)
    )(cycler()),
  ],
  [
    'verifier.verify, unseen',
    'slow',
    (
      (i) => () =>
        verifier.verify(headers[i()])
    )(cycler()),
  ],
];

async function run(fn, ops) {
  const start = process.cpuUsage();
  for (let done = 0; done < ops; done += 64) {
    const batch = [];
    for (let i = 0; i < 64; i += 1) {
      batch.push(fn());
    }
    await Promise.all(batch);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / ops;
}

// Warm-up: a whole turn of the pool for the verifier (its cache full), less for the rest.
for (const [name, , fn] of parts) {
  await run(fn, name.startsWith('verifier') ? UNSEEN_POOL : 4_096);
}
const samples = parts.map(() => []);
for (let round = 0; round < 5; round += 1) {
  for (const [i, [, speed, fn]] of parts.entries()) {
    samples[i].push(await run(fn, speed === 'slow' ? 2_048 : 24_000));
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const [loadAverage] = (await import('node:os')).loadavg();
process.stdout.write(`CPU µs per call, median of 5 rounds, load average ${loadAverage.toFixed(2)}\n`);
for (const [i, [name]] of parts.entries()) {
  const values = samples[i];
  process.stdout.write(
    `${name.padEnd(36)} ${median(values).toFixed(3).padStart(8)} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})\n`,
  );
}
process.exit(0);
