/**
 * Starts one Tessera server for the benchmark, in production mode: an https issuer behind a
 * "proxy" (`trustProxy`), a master key and an admin token from the environment, SQLite in the run's
 * temp folder or a fresh PostgreSQL database. Before the server starts, the database is migrated
 * and seeded through the store (the same ports the server uses), and large populations for the
 * growth scenarios are bulk-inserted with better-sqlite3. Secrets are minted with the server's own
 * `mintSecret` and stored only as `hashSecret` digests, as the server would.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { failureOf } from './answers.mjs';
import {
  BENCH_DIR,
  freePort,
  LOAD_CORE,
  ROOT_DIR,
  runJsonChild,
  SPREAD_CORES,
  startServer,
  stopProcess,
} from './procs.mjs';
import { basic, jobFor } from './requests.mjs';

export const ISSUER = 'https://auth.bench.local';
export const AUDIENCE = 'https://api.bench.local';
/**
 * The server build under test. TESSERA_BENCH_SERVER_DIR points at another copy of packages/server
 * (with its dist/) to compare a patched build against this one, run for run.
 */
const SERVER_DIR = process.env.TESSERA_BENCH_SERVER_DIR ?? join(ROOT_DIR, 'packages/server');
const CLI = join(SERVER_DIR, 'dist/cli/bin.js');
const POSTGRES_ADMIN_URL =
  process.env.TESSERA_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Clients whose credentials the load cycles through (the "10 registered clients" baseline). */
const HOT_CLIENTS = 10;
/** API keys the load cycles through, out of however many are stored. */
const HOT_KEYS = 1000;
/**
 * People who sign in (`tessera.login`): more than the load's connections, so one person is never
 * signing in twice at once (the per-username throttle would then rightly refuse).
 */
export const LOGIN_USERS = 64;
/** People in the flood (`flood.login`), apart from the above so its throttling never spills over. */
export const FLOOD_USERS = 512;

function skip(reason) {
  return Object.assign(new Error(reason), { skip: reason });
}

async function importServer(path) {
  try {
    return await import(pathToFileURL(join(SERVER_DIR, 'dist', path)).href);
  } catch (error) {
    throw skip(`packages/server/dist/${path} missing (run tsc -b): ${error.message}`);
  }
}

export function normaliseInstance(instance = {}) {
  return {
    db: 'sqlite',
    algorithm: 'ES256',
    workers: 1,
    seedClients: HOT_CLIENTS,
    seedKeys: HOT_KEYS,
    cores: '0',
    ...instance,
  };
}

let instances = 0;

function instanceName(i) {
  instances += 1;
  return `${instances}-${i.db}-${i.algorithm}-w${i.workers}-c${i.seedClients}-k${i.seedKeys}`.toLowerCase();
}

/** A fresh database on the local PostgreSQL; undefined when it is not reachable. */
async function createPostgresDatabase(name) {
  let pg;
  try {
    pg = (await import('pg')).default;
  } catch {
    return undefined;
  }
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  const database = `tessera_bench_${name.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database "${database}"`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`drop database if exists "${database}" with (force)`);
      await client.end();
    },
  };
}

let password;

/**
 * The bench's password and its argon2id hash, made once by the server's own `createPasswordHasher`
 * (so with exactly the parameters Tessera uses: OWASP m = 19 MiB, t = 2, p = 1). Every bench user
 * and the reference's `/argon2/verify` hold this one hash: a verification's cost depends on the
 * parameters only, not on the salt or the password.
 */
export function benchPassword() {
  password ??= (async () => {
    const { createPasswordHasher } = await importServer('users/password-hasher.js');
    const plain = `bench-${randomBytes(12).toString('base64url')}`;
    return { password: plain, hash: await createPasswordHasher().hash(plain) };
  })();
  return password;
}

async function createUsers(store, ids, now, { prefix, count, hash }) {
  const names = [];
  for (let n = 0; n < count; n += 1) {
    const username = `${prefix}-${n}`;
    await store.createUser(
      {
        id: ids.newId('usr'),
        username,
        email: null,
        emailVerified: false,
        name: null,
        passwordHash: hash,
        disabled: false,
        tokensValidAfter: 0,
      },
      now,
    );
    names.push(username);
  }
  return names;
}

/**
 * What one browser has before it posts the sign-in form: `GET /account/login` answered with the
 * CSRF cookie (a session cookie, valid for every sign-in of that browser) and the same value as the
 * form's `csrf_token` (double submit). Fetched once per simulated browser, as a browser keeps its
 * cookie; no check is skipped, and each POST is a complete sign-in.
 */
export async function openSignInForm(url, ip) {
  const response = await fetch(`${url}/account/login`, {
    headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': ip },
  });
  const html = await response.text();
  const token = /name="csrf_token" value="([A-Za-z0-9_-]+)"/.exec(html)?.[1];
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .find((c) => /^(__Host-)?tessera_csrf=/.test(c));
  if (
    response.status !== 200 ||
    token === undefined ||
    cookie === undefined ||
    !cookie.endsWith(`=${token}`)
  ) {
    throw new Error(`GET /account/login gave no CSRF cookie and token (${response.status})`);
  }
  return { cookie, csrfToken: token };
}

async function openBrowsers(url, usernames, plain, subnet) {
  const browsers = [];
  for (let n = 0; n < usernames.length; n += 1) {
    // One address per person (RFC 7239-style hop through the one trusted proxy): the per-IP
    // throttle counts each person apart, as it would for people on their own connections.
    const ip = `10.${subnet}.${Math.floor(n / 250)}.${(n % 250) + 1}`;
    browsers.push({ ip, username: usernames[n], password: plain, ...(await openSignInForm(url, ip)) });
  }
  return browsers;
}

/**
 * Issues JWT access tokens for `seconds` with the load generator itself (autocannon on its own core,
 * cycling the JWT clients, every answer a success or the pool is refused): the pool
 * `tessera.introspect-jwt-unseen` spends, one token per request.
 */
export async function issueTokenPool(url, ctx, seconds) {
  const job = jobFor('cc-jwt', ctx);
  const out = await runJsonChild(
    join(BENCH_DIR, 'load.mjs'),
    { url, connections: 32, duration: seconds, warmup: 0, collect: 'access_token', ...job },
    { cores: LOAD_CORE },
  );
  const failure = failureOf(out, job.expect);
  if (failure !== undefined) {
    throw new Error(`POST /token failed while issuing the unseen-token pool: ${failure}`);
  }
  return out.collected;
}

function clientRecord(ids, overrides) {
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
    secrets: [{ hash: ids.hashSecret(secret), start: secret.slice(0, 12), createdAt: 0, expiresAt: null }],
    ...overrides,
  };
  return { record, secret };
}

async function createClient(store, ids, now, overrides) {
  const { record, secret } = clientRecord(ids, overrides);
  record.secrets[0].createdAt = now;
  await store.createClient(record, now);
  return { id: record.id, secret };
}

function apiKeyRecord(ids, owner, now, hash, start) {
  return {
    id: ids.newId('key'),
    hash,
    start,
    name: 'bench',
    owner,
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
  };
}

/**
 * Bulk rows straight into the SQLite file (same columns as migrations/0001-initial.ts), in one
 * transaction: 100,000 clients or 1,000,000 keys in seconds rather than minutes.
 */
async function bulkInsertSqlite(path, { clients = 0, keys = 0, keyOwner, now }) {
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const insertClient = db.prepare(
    `insert into clients (id, name, grant_types, scope, default_scope, audiences, redirect_uris, post_logout_redirect_uris,
       token_endpoint_auth_method, token_format, access_token_ttl, metadata, jwks, jwks_uri, first_party, permissions, disabled,
       created_at, updated_at)
     values (?, 'bulk', '["client_credentials"]', '["read"]', '[]', ?, '[]', '[]', 'client_secret_basic', 'jwt', null, '{}',
       null, null, 0, '[]', 0, ?, ?)`,
  );
  const insertSecret = db.prepare(
    'insert into client_secrets (hash, client_id, start, created_at, expires_at) values (?, ?, ?, ?, null)',
  );
  const insertKey = db.prepare(
    `insert into api_keys (id, hash, start, name, owner, scope, audiences, meta, rate_limit, created_at, updated_at, expires_at,
       disabled, revoked_at, replaced_by, last_used_at, usage_count)
     values (?, ?, ?, 'bulk', ?, '["read"]', ?, '{}', null, ?, ?, null, 0, null, null, null, 0)`,
  );
  const audiences = JSON.stringify([AUDIENCE]);
  // Random bytes in blocks: one call per 4,096 rows instead of two per row. Ids have the shape of
  // newId() (prefix + 16 random bytes); the secret digests are random, so no usable secret exists.
  let block = Buffer.alloc(0);
  let offset = 0;
  const random = (size) => {
    if (offset + size > block.length) {
      block = randomBytes(4096 * 48);
      offset = 0;
    }
    offset += size;
    return block.subarray(offset - size, offset).toString('base64url');
  };
  db.pragma('synchronous = OFF');
  db.transaction(() => {
    for (let n = 0; n < clients; n += 1) {
      const id = `cli_${random(16)}`;
      insertClient.run(id, audiences, now, now);
      insertSecret.run(random(32), id, 'tsr_cs_bulk', now);
    }
    for (let n = 0; n < keys; n += 1) {
      insertKey.run(`key_${random(16)}`, random(32), 'tsr_key_bulk', keyOwner, audiences, now, now);
    }
  })();
  db.pragma('synchronous = FULL');
  db.close();
}

/** Refresh tokens for the rotation scenario, minted into the store like issue 6's grant would. */
async function mintRefreshTokens(store, ids, { clientId, userId, count, now }) {
  const tokens = [];
  for (let n = 0; n < count; n += 1) {
    const token = ids.mintSecret('rt');
    tokens.push(token);
    await store.insertRefreshToken({
      hash: ids.hashSecret(token),
      familyId: ids.newId('fam'),
      clientId,
      userId,
      sessionId: null,
      scope: ['openid', 'offline_access'],
      audience: [AUDIENCE],
      authTime: now,
      amr: ['pwd'],
      acr: null,
      issuedAt: now,
      expiresAt: now + 86_400,
      familyExpiresAt: now + 30 * 86_400,
      usedAt: null,
      revokedAt: null,
    });
  }
  return tokens;
}

async function requestToken(url, client) {
  const response = await fetch(`${url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-proto': 'https',
      authorization: basic(client.id, client.secret),
    },
    body: 'grant_type=client_credentials&scope=read',
  });
  const body = await response.json().catch(() => ({}));
  if (response.status !== 200 || typeof body.access_token !== 'string') {
    return undefined;
  }
  return body.access_token;
}

/**
 * Starts Tessera for `instance` and prepares what the scenarios need. Resolves with
 * `{ child, url, ctx, close }`; `ctx` feeds `requests.mjs`.
 */
export async function startTessera(instance, { workDir, profile = false, log = () => {}, options = {} }) {
  const i = normaliseInstance(instance);
  const name = instanceName(i);
  const dir = join(workDir, `tessera-${name}`);
  mkdirSync(dir, { recursive: true });
  const ids = await importServer('ids.js');
  const { openStore } = await importServer('store/open-store.js');

  let database;
  if (i.db === 'postgres') {
    database = await createPostgresDatabase(name);
    if (database === undefined) {
      throw skip(`PostgreSQL not reachable at ${POSTGRES_ADMIN_URL}`);
    }
  }
  const dbUrl = database?.url ?? join(dir, 'tessera.db');
  const adminToken = randomBytes(32).toString('base64url');
  const port = await freePort();
  const env = {
    NODE_ENV: 'production',
    TESSERA_ISSUER: ISSUER,
    TESSERA_TRUST_PROXY: '1',
    TESSERA_HOST: '127.0.0.1',
    TESSERA_PORT: String(port),
    TESSERA_MASTER_KEY: randomBytes(32).toString('hex'),
    TESSERA_ADMIN_TOKEN: adminToken,
    TESSERA_DATA_DIR: dir,
    TESSERA_DATABASE_URL: dbUrl,
    TESSERA_KEYS_ALGORITHM: i.algorithm,
    TESSERA_WORKERS: String(i.workers),
    // Every request comes from 127.0.0.1 and a handful of clients: raise the rate limits
    // to their maximum (the limiter still runs, as in production) so the bench measures 200s.
    TESSERA_RATE_LIMIT_TOKEN_PER_IP: '10000000',
    TESSERA_RATE_LIMIT_TOKEN_PER_CLIENT: '10000000',
    TESSERA_RATE_LIMIT_INTROSPECT: '10000000',
    TESSERA_RATE_LIMIT_REVOKE: '10000000',
    TESSERA_RATE_LIMIT_API_KEY_VERIFY: '10000000',
    TESSERA_RATE_LIMIT_USERINFO: '10000000',
    TESSERA_RATE_LIMIT_AUTHORIZE: '10000000',
    TESSERA_RATE_LIMIT_END_SESSION: '10000000',
    TESSERA_RATE_LIMIT_ADMIN: '10000000',
  };

  const now = Math.floor(Date.now() / 1000);
  const ctx = { adminToken, jwtClients: [], opaqueClients: [], apiKeys: [] };
  const started = Date.now();
  const store = await openStore(dbUrl);
  let loginNames = [];
  let floodNames = [];
  try {
    await store.migrate();
    // The hot clients: JWT ones up to HOT_CLIENTS in all (with the others below), one opaque.
    ctx.resourceServer = await createClient(store, ids, now, {
      name: 'bench resource server',
      permissions: ['introspect', 'api_keys:verify', 'revocations:stream'],
    });
    ctx.opaqueClients.push(
      await createClient(store, ids, now, { name: 'bench opaque', tokenFormat: 'opaque' }),
    );
    // The refresh clients: one as a performance-minded deployment registers it, ES256 ID tokens
    // (`id_token_signed_response_alg`, OIDC Registration §2), and one on the server default RS256
    // (OIDC Core §3.1.3.7), so the cost of the RSA signature stays visible.
    const refreshClient = (idTokenSignedResponseAlg) =>
      createClient(store, ids, now, {
        name: `bench refresh ${idTokenSignedResponseAlg ?? 'default'}`,
        grantTypes: ['authorization_code', 'refresh_token'],
        scope: ['openid', 'offline_access', 'read'],
        redirectUris: ['https://app.bench.local/callback'],
        firstParty: true,
        idTokenSignedResponseAlg,
      });
    ctx.refreshClients = {
      refresh: await refreshClient('ES256'),
      'refresh-rs256': await refreshClient(null),
    };
    const jwtCount = Math.max(1, Math.min(HOT_CLIENTS, i.seedClients) - 3);
    for (let n = 0; n < jwtCount; n += 1) {
      ctx.jwtClients.push(await createClient(store, ids, now, { name: `bench jwt ${n}` }));
    }
    const hotKeys = Math.min(HOT_KEYS, i.seedKeys);
    for (let n = 0; n < hotKeys; n += 1) {
      const key = ids.mintSecret('key');
      await store.insertApiKey(
        apiKeyRecord(ids, ctx.resourceServer.id, now, ids.hashSecret(key), key.slice(0, 12)),
      );
      ctx.apiKeys.push(key);
    }
    const { password: plain, hash } = await benchPassword();
    ctx.password = plain;
    loginNames = await createUsers(store, ids, now, { prefix: 'login', count: LOGIN_USERS, hash });
    floodNames = await createUsers(store, ids, now, { prefix: 'flood', count: FLOOD_USERS, hash });
    try {
      const user = await store.createUser(
        {
          id: ids.newId('usr'),
          username: 'bench-user',
          email: null,
          emailVerified: false,
          name: null,
          passwordHash: 'unused-by-the-refresh-grant',
          disabled: false,
          tokensValidAfter: 0,
        },
        now,
      );
      ctx.refreshUser = user.id;
      const perRun = 2 * (options.connections ?? 32) + 8;
      const runs = options.repeats ?? 3;
      const pools = {};
      for (const [requestType, client] of Object.entries(ctx.refreshClients)) {
        const all = await mintRefreshTokens(store, ids, {
          clientId: client.id,
          userId: user.id,
          count: perRun * runs,
          now,
        });
        pools[requestType] = Array.from({ length: runs }, (_, n) => all.slice(n * perRun, (n + 1) * perRun));
      }
      ctx.takeRefreshTokens = (requestType = 'refresh') => {
        const batch = pools[requestType]?.shift();
        if (batch === undefined) {
          throw skip('no refresh tokens left for another run');
        }
        return batch;
      };
    } catch (error) {
      ctx.takeRefreshTokens = () => {
        throw skip(`refresh tokens unavailable: ${error.message}`);
      };
    }
  } finally {
    await store.close();
  }
  const bulkClients = Math.max(0, i.seedClients - HOT_CLIENTS);
  const bulkKeys = Math.max(0, i.seedKeys - HOT_KEYS);
  if (bulkClients > 0 || bulkKeys > 0) {
    if (i.db !== 'sqlite') {
      throw skip('bulk seeding is implemented for SQLite only');
    }
    await bulkInsertSqlite(dbUrl, {
      clients: bulkClients,
      keys: bulkKeys,
      keyOwner: ctx.resourceServer.id,
      now,
    });
  }
  log(`  seeded ${name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'profiles')}`] : [];
  const args = [...nodeArgs, CLI, 'serve', ...(i.workers > 1 ? ['--workers', String(i.workers)] : [])];
  let child;
  try {
    child = await startServer({
      args,
      env,
      cores: i.cores === 'spread' ? SPREAD_CORES : i.cores,
      logFile: join(dir, 'server.log'),
      readyUrl: `http://127.0.0.1:${port}/readyz`,
    });
  } catch (error) {
    await database?.drop().catch(() => {});
    throw error;
  }
  const url = `http://127.0.0.1:${port}`;
  const prepare = async () => {
    ctx.jwtToken = await requestToken(url, ctx.jwtClients[0]);
    ctx.opaqueToken = await requestToken(url, ctx.opaqueClients[0]);
  };
  await prepare();
  // Issued for twice as long as a warm-up and a measured run last: issuing (one signature) runs at
  // least half as fast as introspecting a token never seen (one verification), and a pool that
  // still runs out fails the run (load.mjs `once`) rather than falling back to tokens seen before.
  const poolSeconds = 2 * ((options.warmup ?? 2) + (options.duration ?? 5));
  const prepareUnseen = async () => {
    ctx.unseenJwtTokens = undefined;
    ctx.unseenJwtTokens = await issueTokenPool(url, ctx, poolSeconds);
  };
  // The browsers are opened when a sign-in scenario first runs on this server, not for every server.
  const prepareLogin = async () => {
    ctx.loginBrowsers ??= await openBrowsers(url, loginNames, ctx.password, 1);
    ctx.floodBrowsers ??= await openBrowsers(url, floodNames, ctx.password, 2);
  };
  ctx.apiKeyVerifyHeaders = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-forwarded-proto': 'https',
    authorization: basic(ctx.resourceServer.id, ctx.resourceServer.secret),
  };
  ctx.apiKeyVerifyBody = (key) => `key=${encodeURIComponent(key)}`;
  // The verify endpoint answers 200 for an invalid key too: check once that ours are valid.
  const check = await fetch(`${url}/api-keys/verify`, {
    method: 'POST',
    headers: ctx.apiKeyVerifyHeaders,
    body: ctx.apiKeyVerifyBody(ctx.apiKeys[0]),
  }).catch(() => undefined);
  const verdict = check === undefined ? undefined : await check.json().catch(() => undefined);
  if (verdict?.valid !== true) {
    log(`  API-key verification did not accept a seeded key (${check?.status} ${JSON.stringify(verdict)})`);
    ctx.apiKeyVerifyBody = undefined;
  }
  return {
    child,
    url,
    ctx,
    prepare,
    prepareUnseen,
    prepareLogin,
    dir,
    instance: i,
    async close() {
      await stopProcess(child);
      await database?.drop().catch(() => {});
    },
  };
}
