/**
 * CPU per answer of one Tessera hot path, two builds in ONE process, in alternating batches: an A/B
 * that a machine shared with other jobs cannot skew towards either side (both builds see the same
 * minute, the same caches, the same neighbours). Each build is a copy of packages/server with its
 * `dist/` (as TESSERA_BENCH_SERVER_DIR); each gets its own runtime (createRuntime, production
 * settings as bench/lib/tessera.mjs: https issuer behind a proxy, info access log, SQLite, rate
 * limits raised but running), and requests go through Fastify's `inject()`, i.e. everything but the
 * socket (the HTTP parser and the write, which are the same code in both builds).
 *
 *   node bench/micro/http-path.mjs <cc-jwt|api-key-verify|introspect-jwt|introspect-jwt-unseen|introspect-opaque|refresh|refresh-rs256> <rounds> <batch> <dirA> [<dirB>]
 *
 * `introspect-jwt` introspects one JWT again and again (the seen path); `introspect-jwt-unseen` a
 * different JWT in every request, each sent once (issued before the warm-up through `POST /token`,
 * (rounds + 1) × batch of them, cycling the 7 clients); `introspect-opaque` one opaque token
 * (`tsr_at_…`, a client with `tokenFormat: opaque`) again and again.
 *
 * With TESSERA_BENCH_PATH_DB=postgres each build runs on its own schema of the local PostgreSQL
 * (postgres://postgres@127.0.0.1:5432/test, dropped at the end) instead of SQLite; the figures are
 * then this process's CPU only (PostgreSQL's backends come on top) and the wall time per answer.
 *
 * `refresh` rotates 32 chains of refresh tokens (each answer's token is spent by the chain's next
 * request, RFC 9700 §4.14.2) for a client with ES256 ID tokens (`id_token_signed_response_alg`);
 * `refresh-rs256` the same for a client on the server default, RS256 ID tokens. `login` posts
 * complete password sign-ins to `/account/login` (CSRF double submit, throttle, argon2id, session,
 * audit; `303` to `/account` counts) for 64 people, each from their own address with the CSRF
 * cookie of one `GET /account/login`, as bench/lib/tessera.mjs prepares `tessera.login`.
 * `login-no-argon2` is the same with the runtime's password hasher replaced (StartOptions
 * `passwordHasher`) by one that answers "match" on the next turn of the event loop: what the
 * sign-in costs besides argon2, without argon2's threads sharing the cores. Never a sign-in figure.
 *
 * Prints, per build, the median and the range of CPU µs (user + system, process.cpuUsage) per
 * successful answer over the rounds, and B/A; and the same for the main thread alone
 * (/proc/self/task/<pid>/stat, 10 ms ticks: use batches of a second or more), which leaves out
 * libuv's pool threads, where argon2 runs. Every answer must be a success (as bench/lib/answers.mjs
 * counts them), or the run fails. With `--profile`, run it under `node --cpu-prof` instead.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { seedRefreshTokens } from '../lib/refresh-fixture.mjs';

const [scenario, roundsArg, batchArg, ...dirs] = process.argv.slice(2);
const SCENARIOS = [
  'cc-jwt',
  'api-key-verify',
  'introspect-jwt',
  'introspect-jwt-unseen',
  'introspect-opaque',
  'refresh',
  'refresh-rs256',
  'login',
  'login-no-argon2',
];
if (!SCENARIOS.includes(scenario) || dirs.length === 0) {
  process.stderr.write(
    `usage: node bench/micro/http-path.mjs <${SCENARIOS.join('|')}> <rounds> <batch> <dirA> [<dirB>]\n`,
  );
  process.exit(2);
}
const ROUNDS = Number(roundsArg ?? 10);
const BATCH = Number(batchArg ?? 2000);
const CONCURRENCY = 32;
// TESSERA_BENCH_PATH_DB=postgres: each build on its own schema of this database instead of SQLite.
const POSTGRES =
  process.env.TESSERA_BENCH_PATH_DB === 'postgres' ? 'postgres://postgres@127.0.0.1:5432/test' : '';
// TESSERA_BENCH_PATH_LOOP=closed: 32 clients each sending its next request on its answer, not waves of 32.
const CLOSED_LOOP = process.env.TESSERA_BENCH_PATH_LOOP === 'closed';
const ISSUER = 'https://auth.bench.local';
const AUDIENCE = 'https://api.bench.local';

const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function startBuild(dir, label) {
  const load = (path) => import(pathToFileURL(join(dir, 'dist', path)).href);
  const { loadConfig } = await load('config/load.js');
  const { createRuntime } = await load('main.js');
  const { createLogger } = await load('log.js');
  const ids = await load('ids.js');
  const dataDir = mkdtempSync(join(tmpdir(), `tessera-http-path-${label}-`));
  const schema = `http_path_${label.toLowerCase()}_${process.pid}`;
  const limits = Object.fromEntries(
    [
      'tokenPerIp',
      'tokenPerClient',
      'introspect',
      'revoke',
      'apiKeyVerify',
      'userinfo',
      'authorize',
      'endSession',
      'admin',
    ].map((name) => [`rateLimit.${name}`, 10_000_000]),
  );
  const config = loadConfig({
    env: {},
    overrides: {
      issuer: ISSUER,
      trustProxy: 1,
      dataDir,
      'database.url': POSTGRES === '' ? join(dataDir, 'tessera.db') : POSTGRES,
      ...(POSTGRES === '' ? {} : { 'database.schema': schema }),
      masterKey: 'ab'.repeat(32),
      adminToken: 'http-path-admin-token-0123456789abcdefghijklmnop',
      'keys.algorithm': 'ES256',
      'log.level': 'info',
      ...limits,
    },
  });
  const sink = new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
  const runtime = await createRuntime(config, {
    logger: createLogger({ level: 'info', destination: sink }),
    ...(scenario === 'login-no-argon2' ? { passwordHasher: NO_ARGON2 } : {}),
  });
  await runtime.app.ready();
  const now = Math.floor(Date.now() / 1000);
  const client = async (overrides) => {
    const secret = ids.mintSecret('cs');
    const record = {
      id: ids.newId('cli'),
      name: 'bench',
      grantTypes: ['client_credentials'],
      scope: ['read'],
      defaultScope: [],
      audiences: [AUDIENCE],
      redirectUris: [],
      postLogoutRedirectUris: [],
      tokenEndpointAuthMethod: 'client_secret_basic',
      tokenFormat: 'jwt',
      accessTokenTtl: null,
      metadata: {},
      jwks: null,
      jwksUri: null,
      firstParty: false,
      permissions: [],
      disabled: false,
      secrets: [
        { hash: ids.hashSecret(secret), start: secret.slice(0, 12), createdAt: now, expiresAt: null },
      ],
      ...overrides,
    };
    await runtime.store.createClient(record, now);
    return { id: record.id, secret };
  };
  const resourceServer = await client({ permissions: ['introspect', 'api_keys:verify'] });
  const clients = [];
  for (let n = 0; n < 7; n += 1) {
    clients.push(await client({}));
  }
  const keys = [];
  for (let n = 0; n < (scenario === 'api-key-verify' ? 1000 : 0); n += 1) {
    const key = ids.mintSecret('key');
    await runtime.store.insertApiKey({
      id: ids.newId('key'),
      hash: ids.hashSecret(key),
      start: key.slice(0, 12),
      name: 'bench',
      owner: resourceServer.id,
      scope: ['read'],
      audiences: [AUDIENCE],
      meta: {},
      rateLimit: null,
      createdAt: now,
      updatedAt: now,
      expiresAt: null,
      disabled: false,
      revokedAt: null,
      replacedBy: null,
      lastUsedAt: null,
      usageCount: 0,
    });
    keys.push(key);
  }
  const headers = (id, secret) => ({
    'content-type': 'application/x-www-form-urlencoded',
    'x-forwarded-proto': 'https',
    authorization: basic(id, secret),
  });
  const ccRequest = (n) => {
    const c = clients[n % clients.length];
    return {
      method: 'POST',
      url: '/token',
      headers: headers(c.id, c.secret),
      payload: 'grant_type=client_credentials&scope=read',
    };
  };
  // Refresh chains: one token per concurrent request slot, each answer's successor spent next.
  const chains = [];
  const seen = new Set();
  let refreshClient;
  if (scenario.startsWith('refresh')) {
    refreshClient = await client({
      grantTypes: ['authorization_code', 'refresh_token'],
      scope: ['openid', 'offline_access', 'read'],
      redirectUris: ['https://app.bench.local/callback'],
      firstParty: true,
      idTokenSignedResponseAlg: scenario === 'refresh' ? 'ES256' : null,
    });
    chains.push(
      ...(await seedRefreshTokens(runtime.store, ids, now, refreshClient.id, CONCURRENCY, AUDIENCE)),
    );
  }
  const refresh = {
    request: (n) => ({
      method: 'POST',
      url: '/token',
      headers: headers(refreshClient.id, refreshClient.secret),
      payload: `grant_type=refresh_token&refresh_token=${chains[n % CONCURRENCY]}`,
    }),
    ok: '"access_token"',
    // A success is a rotation: a new refresh token (a retry within the reuse grace returns the
    // same successor again, which is cheaper and must not count).
    after: (n, response) => {
      const slot = n % CONCURRENCY;
      const next = response.statusCode === 200 ? response.json().refresh_token : undefined;
      if (typeof next !== 'string' || next === chains[slot] || seen.has(next)) {
        return false;
      }
      seen.add(next);
      chains[slot] = next;
      return true;
    },
  };
  const browsers = scenario.startsWith('login') ? await openBrowsers(runtime, ids, dir, now) : [];
  const login = {
    request: (n) => {
      const b = browsers[n % browsers.length];
      return {
        method: 'POST',
        url: '/account/login',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-forwarded-proto': 'https',
          'x-forwarded-for': b.ip,
          cookie: b.cookie,
        },
        payload: `csrf_token=${encodeURIComponent(b.csrfToken)}&username=${b.username}&password=${encodeURIComponent(LOGIN_PASSWORD)}`,
      };
    },
    status: 303,
    ok: '',
    after: (_n, response) => response.headers.location === '/account',
  };
  const first = await runtime.app.inject(ccRequest(0));
  const jwt = first.json().access_token;
  const rsHeaders = headers(resourceServer.id, resourceServer.secret);
  // Unseen JWTs: each sent once, whatever offsets the batches use.
  const unseen = [];
  if (scenario === 'introspect-jwt-unseen') {
    for (let n = 0; n < (ROUNDS + 1) * BATCH; n += 1) {
      unseen.push((await runtime.app.inject(ccRequest(n))).json().access_token);
    }
  }
  let opaque;
  if (scenario === 'introspect-opaque') {
    const opaqueClient = await client({ tokenFormat: 'opaque' });
    const issued = await runtime.app.inject({
      ...ccRequest(0),
      headers: headers(opaqueClient.id, opaqueClient.secret),
    });
    opaque = issued.json().access_token;
    if (!opaque?.startsWith('tsr_at_')) {
      throw new Error(`no opaque token: ${issued.payload.slice(0, 200)}`);
    }
  }
  let nextUnseen = 0;
  const requests = {
    'cc-jwt': { request: ccRequest, ok: '"access_token"' },
    'api-key-verify': {
      request: (n) => ({
        method: 'POST',
        url: '/api-keys/verify',
        headers: rsHeaders,
        payload: `key=${encodeURIComponent(keys[n % keys.length])}`,
      }),
      ok: '"valid":true',
    },
    'introspect-jwt': {
      request: () => ({ method: 'POST', url: '/introspect', headers: rsHeaders, payload: `token=${jwt}` }),
      ok: '"active":true',
    },
    'introspect-jwt-unseen': {
      request: () => {
        const token = unseen[nextUnseen];
        nextUnseen += 1;
        if (token === undefined) {
          throw new Error('the unseen-token pool ran out');
        }
        return { method: 'POST', url: '/introspect', headers: rsHeaders, payload: `token=${token}` };
      },
      ok: '"active":true',
    },
    'introspect-opaque': {
      request: () => ({ method: 'POST', url: '/introspect', headers: rsHeaders, payload: `token=${opaque}` }),
      ok: '"active":true',
    },
    refresh,
    'refresh-rs256': refresh,
    login,
    'login-no-argon2': login,
  };
  return {
    label,
    dir,
    app: runtime.app,
    ...requests[scenario],
    async close() {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (POSTGRES !== '') {
        const { default: pg } = await import('pg');
        const admin = new pg.Client({ connectionString: POSTGRES });
        await admin.connect();
        await admin.query(`drop schema if exists ${schema} cascade`);
        await admin.end();
      }
    },
  };
}

/** One batch: BATCH requests, CONCURRENCY at a time; µs of process CPU per answer. */
async function batch(build, offset) {
  let failures = 0;
  const startedThread = mainThreadCpu();
  const startedWall = process.hrtime.bigint();
  const started = process.cpuUsage();
  if (CLOSED_LOOP) {
    // 32 clients, each sending its next request when its answer came (as the served bench's
    // connections do): the server sees a steady stream, not waves.
    const clients = Array.from({ length: CONCURRENCY }, async (_, slot) => {
      for (let n = slot; n < BATCH; n += CONCURRENCY) {
        const response = await build.app.inject(build.request(offset + n));
        const rotated = build.after?.(offset + n, response) ?? true;
        if (
          !rotated ||
          response.statusCode !== (build.status ?? 200) ||
          !response.payload.includes(build.ok)
        ) {
          failures += 1;
          if (failures === 1) {
            process.stderr.write(
              `${build.label}: ${response.statusCode} ${response.payload.slice(0, 200)}\n`,
            );
          }
        }
      }
    });
    await Promise.all(clients);
  }
  for (let sent = 0; sent < (CLOSED_LOOP ? 0 : BATCH); sent += CONCURRENCY) {
    const wave = [];
    for (let n = sent; n < Math.min(BATCH, sent + CONCURRENCY); n += 1) {
      wave.push(build.app.inject(build.request(offset + n)));
    }
    for (const [index, response] of (await Promise.all(wave)).entries()) {
      const rotated = build.after?.(offset + sent + index, response) ?? true;
      if (!rotated || response.statusCode !== (build.status ?? 200) || !response.payload.includes(build.ok)) {
        failures += 1;
        if (failures === 1) {
          process.stderr.write(`${build.label}: ${response.statusCode} ${response.payload.slice(0, 200)}\n`);
        }
      }
    }
  }
  const used = process.cpuUsage(started);
  const wall = Number(process.hrtime.bigint() - startedWall) / 1000;
  const thread = mainThreadCpu() - startedThread;
  if (failures > 0) {
    throw new Error(`${build.label}: ${failures} of ${BATCH} answers were not successes`);
  }
  return { all: (used.user + used.system) / BATCH, main: thread / BATCH, wall: wall / BATCH };
}

/** µs of CPU (user + system) of the main thread so far; Linux, 100 ticks a second. */
function mainThreadCpu() {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const LOGIN_PASSWORD = 'correct horse battery staple';

/** `login-no-argon2`: every password matches, answered on the next turn of the loop (a bench stand-in only). */
const NO_ARGON2 = {
  hash: async () => 'no-argon2',
  verify: () => new Promise((resolve) => setImmediate(() => resolve(true))),
  verifyDummy: () => new Promise((resolve) => setImmediate(resolve)),
};

/** 64 people with one argon2id hash (the build's own hasher), each with the CSRF cookie of a GET. */
async function openBrowsers(runtime, ids, dir, now) {
  const { createPasswordHasher } = await import(
    pathToFileURL(join(dir, 'dist', 'users/password-hasher.js')).href
  );
  const passwordHash = await createPasswordHasher().hash(LOGIN_PASSWORD);
  const browsers = [];
  for (let n = 0; n < 64; n += 1) {
    const username = `login-${n}`;
    await runtime.store.createUser(
      {
        id: ids.newId('usr'),
        username,
        email: null,
        emailVerified: false,
        name: null,
        passwordHash,
        disabled: false,
        tokensValidAfter: 0,
      },
      now,
    );
    const ip = `10.1.0.${n + 1}`;
    const page = await runtime.app.inject({
      method: 'GET',
      url: '/account/login',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': ip },
    });
    const csrfToken = /name="csrf_token" value="([A-Za-z0-9_-]+)"/.exec(page.payload)?.[1];
    const cookie = page.cookies.find((c) => /^(__Host-)?tessera_csrf$/.test(c.name));
    if (csrfToken === undefined || cookie === undefined) {
      throw new Error(`GET /account/login gave no CSRF cookie and token (${page.statusCode})`);
    }
    browsers.push({ username, ip, csrfToken, cookie: `${cookie.name}=${cookie.value}` });
  }
  return browsers;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const builds = [];
for (const [index, dir] of dirs.entries()) {
  builds.push(await startBuild(dir, String.fromCharCode(65 + index)));
}
try {
  // Warm-up: JIT both builds before anything counts.
  for (const build of builds) {
    await batch(build, 0);
  }
  const samples = builds.map(() => []);
  for (let round = 0; round < ROUNDS; round += 1) {
    // Alternate which build goes first, so neither always runs right after the other's GC.
    const order = round % 2 === 0 ? builds.map((_, i) => i) : builds.map((_, i) => builds.length - 1 - i);
    for (const i of order) {
      samples[i].push(await batch(builds[i], round * BATCH));
    }
  }
  for (const [measure, name] of [
    ['all', 'CPU'],
    ['main', 'main-thread CPU'],
    ['wall', 'wall time'],
  ]) {
    const of = samples.map((s) => s.map((sample) => sample[measure]));
    const medians = of.map(median);
    for (const [i, build] of builds.entries()) {
      const s = of[i];
      process.stdout.write(
        `${scenario} ${build.label} ${build.dir}: ${medians[i].toFixed(1)} µs ${name}/answer (median of ${ROUNDS} × ${BATCH}; range ${Math.min(...s).toFixed(1)}–${Math.max(...s).toFixed(1)})\n`,
      );
    }
    if (builds.length === 2 && medians[0] === 0) {
      // The main thread's clock counts 10 ms ticks: a batch shorter than one may count none.
      process.stdout.write(
        `${scenario} ${name} B/A — (A's median is 0: below the clock's resolution; use larger batches)\n`,
      );
    } else if (builds.length === 2) {
      const ratios = of[1].map((b, round) => b / of[0][round]);
      // The median of the per-round ratios pairs each B batch with the A batch next to it, so a
      // slow minute of a shared machine cancels out of it more than out of the ratio of the medians.
      process.stdout.write(
        `${scenario} ${name} B/A ${(medians[1] / medians[0]).toFixed(3)} (per-round ratios ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}, median ${median(ratios).toFixed(3)})\n`,
      );
    }
  }
} finally {
  for (const build of builds) {
    await build.close();
  }
}
