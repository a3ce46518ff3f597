/**
 * The token endpoint's own parts of a client-credentials answer, two builds in alternating rounds
 * of one process (docs/performance.md, "Token endpoint (2026-12-06, evening)"): what one request
 * costs in each build's
 *
 * - `auth`: client authentication as the route calls it (`createClientAuthenticator` with
 *   `client_secret_basic`, the failure backoff, a client found in memory as the registry's cache
 *   serves it), awaited;
 * - `issue`: `AccessTokenService#issue` of an ES256 RFC 9068 JWT (claims, `jti`, one signature),
 *   awaited;
 *
 * each build's `dist/` loaded from a copy of packages/server (as for bench/micro/http-path.mjs).
 *
 *   node bench/micro/token-parts.mjs <auth|issue> <rounds> <calls per round> <dirA> <dirB>
 *
 * Prints each build's median CPU ns per call (process.cpuUsage) over the rounds and B/A.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { keyPair } from '../lib/key-pair.mjs';

const [part, roundsArg, callsArg, ...dirs] = process.argv.slice(2);
if (!['auth', 'issue'].includes(part) || dirs.length !== 2) {
  process.stderr.write(
    'usage: node bench/micro/token-parts.mjs <auth|issue> <rounds> <calls> <dirA> <dirB>\n',
  );
  process.exit(2);
}
const ROUNDS = Number(roundsArg ?? 15);
const CALLS = Number(callsArg ?? 20_000);
const ISSUER = 'https://auth.bench.local';
const pair = keyPair('ec', { namedCurve: 'P-256' });
const key = { kid: 'bench', alg: 'ES256', ...pair };
const clock = { nowMs: () => Date.now(), now: () => Math.floor(Date.now() / 1000) };

async function clients(dir) {
  const { mintSecret, hashSecret } = await import(pathToFileURL(join(dir, 'dist/ids.js')).href);
  return Array.from({ length: 7 }, (_, i) => {
    const secret = mintSecret('cs');
    const record = {
      id: `cli_bench${i}`,
      name: `bench ${i}`,
      grantTypes: ['client_credentials'],
      scope: ['read'],
      defaultScope: [],
      audiences: ['https://api.bench.local'],
      redirectUris: [],
      postLogoutRedirectUris: [],
      tokenEndpointAuthMethod: 'client_secret_basic',
      tokenFormat: 'jwt',
      accessTokenTtl: null,
      metadata: {},
      jwks: null,
      jwksUri: null,
      idTokenSignedResponseAlg: null,
      subjectType: 'public',
      sectorIdentifierUri: null,
      firstParty: false,
      dpopBoundAccessTokens: false,
      requireMfa: false,
      permissions: [],
      disabled: false,
      secrets: [{ hash: hashSecret(secret), start: secret.slice(0, 12), createdAt: 0, expiresAt: null }],
      createdAt: 0,
      updatedAt: 0,
    };
    const basic = `Basic ${Buffer.from(`${record.id}:${secret}`).toString('base64')}`;
    return { record, basic };
  });
}

async function build(dir) {
  const load = (path) => import(pathToFileURL(join(dir, 'dist', path)).href);
  const all = await clients(dir);
  if (part === 'auth') {
    const { createClientAuthenticator } = await load('oauth/client-auth/client-authenticator.js');
    const { createClientAuthBackoff } = await load('oauth/client-auth/failure-backoff.js');
    const byId = new Map(all.map((c) => [c.record.id, c.record]));
    const authenticate = createClientAuthenticator({
      clients: { get: (id) => Promise.resolve(byId.get(id)) },
      replay: { markOnce: () => Promise.resolve(true) },
      clock,
      issuer: ISSUER,
      tokenEndpoint: `${ISSUER}/token`,
      backoff: createClientAuthBackoff({
        store: {
          takeAttempt: () => Promise.reject(new Error('no failures here')),
          clearAttempts: () => Promise.resolve(),
        },
        clock,
        freeFailures: 10,
        maxBackoff: 300,
      }),
    });
    const body = { grant_type: 'client_credentials', scope: 'read' };
    return async (i) => {
      const c = all[i % all.length];
      await authenticate({ authorization: c.basic, body, endpoint: `${ISSUER}/token` });
    };
  }
  const { createAccessTokenService } = await load('tokens/access-token.js');
  const tokens = createAccessTokenService({
    issuer: ISSUER,
    keyring: { current: () => key },
    algorithm: 'ES256',
    clock,
    store: { insertAccessToken: () => Promise.reject(new Error('a JWT is never stored')) },
    ttl: { default: 600, max: 3600 },
  });
  return async (i) => {
    const c = all[i % all.length].record;
    await tokens.issue({
      client: c,
      subject: c.id,
      scope: ['read'],
      audience: ['https://api.bench.local'],
      grantId: null,
    });
  };
}

const builds = [await build(dirs[0]), await build(dirs[1])];
const samples = [[], []];
async function round(b) {
  const start = process.cpuUsage();
  for (let i = 0; i < CALLS; i += 1) {
    await builds[b](i);
  }
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / CALLS;
}
// Warm-up: both builds, so the JIT has seen each before anything is counted.
await round(0);
await round(1);
const ratios = [];
for (let r = 0; r < ROUNDS; r += 1) {
  const order = r % 2 === 0 ? [0, 1] : [1, 0];
  const got = [0, 0];
  for (const b of order) {
    got[b] = await round(b);
    samples[b].push(got[b]);
  }
  ratios.push(got[1] / got[0]);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const medians = samples.map(median);
for (const [b, dir] of dirs.entries()) {
  process.stdout.write(`${part} ${b === 0 ? 'A' : 'B'} ${dir}: ${medians[b].toFixed(0)} ns CPU/call\n`);
}
process.stdout.write(
  `${part} B/A ${(medians[1] / medians[0]).toFixed(3)} (median of per-round ratios ${median(ratios).toFixed(3)})\n`,
);
