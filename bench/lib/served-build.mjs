/**
 * One build of the server (a copy of packages/server with its `dist/`) started for the served
 * API-key micro-bench (bench/micro/served-ab.mjs): the production settings of
 * bench/micro/http-path.mjs (https issuer behind a proxy, `info` access log to a sink, SQLite, rate
 * limits raised but running), one resource server with `api_keys:verify` and 1,000 keys, listening
 * on 127.0.0.1. Returns the autocannon job for the load process (served-ab-load.mjs).
 * `extraOverrides` are added to the configuration (for an ablation run; `log.level` also sets the
 * access logger's level). `scenario` picks the job: `api-key-verify` (default), `cc-jwt-es256`
 * (`POST /token`, client credentials, the bench's body; count-served.mjs), `refresh`
 * (`POST /token`, `grant_type=refresh_token` for a client with ES256 ID tokens and an
 * `openid offline_access` grant, as the bench's `tessera.refresh-rotation.sqlite`: the job's
 * `rotate` pool of 24 refresh tokens, each answer's new token put back for a later request), or
 * `login-busy`: a `flood.login` refusal, `POST /account/login` while the one password check
 * (`login.verifyConcurrency` 1, no queue) is taken by a sign-in held for ever (a password hasher
 * that never answers), so every post is the busy `503` with the CSRF checked (one browser's
 * cookie and token). `introspect-jwt` and `introspect-opaque` (count-served.mjs): `POST /introspect`
 * by the resource server of one token again and again (the seen path, as http-path.mjs's scenarios
 * of the same names): a JWT the resource server got through `POST /token`, or an opaque
 * (`tsr_at_…`) one of a second client with `tokenFormat: opaque`; access tokens live a day
 * (`tokens.accessTokenTtl`), so none expires during a count under valgrind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { seedRefreshTokens } from './refresh-fixture.mjs';

const ISSUER = 'https://auth.bench.local';

export async function startBuild(dir, label, extraOverrides = {}, scenario = 'api-key-verify') {
  const load = (path) => import(pathToFileURL(join(dir, 'dist', path)).href);
  const { loadConfig } = await load('config/load.js');
  const { createRuntime } = await load('main.js');
  const { createLogger } = await load('log.js');
  const ids = await load('ids.js');
  const dataDir = mkdtempSync(join(tmpdir(), `tessera-served-ab-${label}-`));
  const limits = Object.fromEntries(
    ['tokenPerIp', 'tokenPerClient', 'introspect', 'revoke', 'apiKeyVerify'].map((name) => [
      `rateLimit.${name}`,
      10_000_000,
    ]),
  );
  const config = loadConfig({
    env: {},
    overrides: {
      issuer: ISSUER,
      trustProxy: 1,
      dataDir,
      'database.url': join(dataDir, 'tessera.db'),
      masterKey: 'ab'.repeat(32),
      adminToken: 'served-ab-admin-token-0123456789abcdefghijklmnop',
      'keys.algorithm': 'ES256',
      'log.level': 'info',
      ...limits,
      ...(scenario === 'login-busy' ? { 'login.verifyConcurrency': 1, 'login.verifyQueue': 0 } : {}),
      ...(scenario.startsWith('introspect-') ? { 'tokens.accessTokenTtl': '24h' } : {}),
      ...extraOverrides,
    },
  });
  const sink = new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
  const busy = scenario === 'login-busy';
  let taken = false;
  // The one check, taken for ever: its answer never comes.
  const never = () => {
    taken = true;
    return new Promise(() => {});
  };
  const runtime = await createRuntime(config, {
    logger: createLogger({ level: extraOverrides['log.level'] ?? 'info', destination: sink }),
    ...(busy ? { passwordHasher: { hash: async () => 'held', verify: never, verifyDummy: never } } : {}),
  });
  const now = Math.floor(Date.now() / 1000);
  const secret = ids.mintSecret('cs');
  const client = benchClient(ids, secret, now, {
    name: 'bench',
    permissions: ['introspect', 'api_keys:verify'],
  });
  await runtime.store.createClient(client, now);
  const bodies = [];
  for (let n = 0; n < 1000; n += 1) {
    const key = ids.mintSecret('key');
    await runtime.store.insertApiKey({
      id: ids.newId('key'),
      hash: ids.hashSecret(key),
      start: key.slice(0, 12),
      name: 'bench',
      owner: client.id,
      scope: ['read'],
      audiences: [],
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
    bodies.push(`key=${encodeURIComponent(key)}`);
  }
  const rotate = scenario === 'refresh' ? await refreshTokens(runtime, ids, now) : undefined;
  await runtime.app.listen({ host: '127.0.0.1', port: 0 });
  const port = runtime.app.server.address().port;
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-forwarded-proto': 'https',
    authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
  };
  if (busy) {
    const job = await busyJob(runtime.app, port, () => taken);
    return { label, dir, job, close: () => closeRuntime(runtime, dataDir) };
  }
  if (scenario.startsWith('introspect-')) {
    const token = await introspectedToken(runtime, ids, now, scenario, headers);
    const job = {
      port,
      connections: 32,
      path: '/introspect',
      headers,
      bodies: [`token=${encodeURIComponent(token)}`],
      expect: '"active":true',
    };
    return { label, dir, job, close: () => closeRuntime(runtime, dataDir) };
  }
  const job =
    rotate !== undefined
      ? {
          port,
          connections: 32,
          path: '/token',
          headers: { ...headers, authorization: rotate.authorization },
          bodies: [''],
          expect: '"access_token"',
          rotate: {
            tokens: rotate.tokens,
            field: 'refresh_token',
            bodyPrefix: 'grant_type=refresh_token&refresh_token=',
          },
        }
      : scenario === 'cc-jwt-es256'
        ? {
            port,
            connections: 32,
            path: '/token',
            headers,
            bodies: ['grant_type=client_credentials&scope=read'],
            expect: '"access_token"',
          }
        : { port, connections: 32, path: '/api-keys/verify', headers, bodies, expect: '"valid":true' };
  return {
    label,
    dir,
    job,
    close: () => closeRuntime(runtime, dataDir),
  };
}

async function closeRuntime(runtime, dataDir) {
  await runtime.close();
  rmSync(dataDir, { recursive: true, force: true });
}

/** `login-busy`: one browser's CSRF cookie and token, and the one password check taken for ever. */
async function busyJob(app, port, taken) {
  const https = { 'x-forwarded-proto': 'https' };
  const page = await app.inject({ method: 'GET', url: '/account/login', headers: https });
  const token = /name="csrf_token" value="([A-Za-z0-9_-]+)"/.exec(page.body)?.[1];
  const cookie = [page.headers['set-cookie']]
    .flat()
    .map((c) => String(c).split(';')[0] ?? '')
    .find((c) => /^(__Host-)?tessera_csrf=/.test(c));
  if (token === undefined || cookie === undefined) {
    throw new Error(`GET /account/login gave no CSRF cookie and token (${page.statusCode})`);
  }
  const headers = { ...https, cookie, 'content-type': 'application/x-www-form-urlencoded' };
  const body = `csrf_token=${token}&username=flood&password=${encodeURIComponent('a long enough passphrase')}`;
  // Takes the only check and never gives it back (its answer never comes).
  void app.inject({ method: 'POST', url: '/account/login', headers, payload: body });
  for (let i = 0; i < 100 && !taken(); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const probe = taken()
    ? await app.inject({ method: 'POST', url: '/account/login', headers, payload: body })
    : undefined;
  if (probe?.statusCode !== 503) {
    throw new Error('the password check was never taken: no busy 503');
  }
  return {
    port,
    connections: 32,
    path: '/account/login',
    headers,
    bodies: [body],
    expect: 'login-error',
    status: 503,
  };
}

/**
 * The token the introspection scenarios ask about: the resource server's own JWT (client
 * credentials), or the opaque token of a second client with `tokenFormat: opaque`.
 */
async function introspectedToken(runtime, ids, now, scenario, headers) {
  let authorization = headers.authorization;
  if (scenario === 'introspect-opaque') {
    const secret = ids.mintSecret('cs');
    const id = ids.newId('cli');
    await runtime.store.createClient(
      benchClient(ids, secret, now, { id, name: 'bench opaque', tokenFormat: 'opaque' }),
      now,
    );
    authorization = `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  }
  const issued = await runtime.app.inject({
    method: 'POST',
    url: '/token',
    headers: { ...headers, authorization },
    payload: 'grant_type=client_credentials&scope=read',
  });
  const token = issued.json().access_token;
  const opaque = scenario === 'introspect-opaque';
  if (typeof token !== 'string' || token.startsWith('tsr_at_') !== opaque) {
    throw new Error(`no ${opaque ? 'opaque' : 'JWT'} access token: ${issued.payload.slice(0, 200)}`);
  }
  return token;
}

/** A confidential client_credentials client of the bench (scope `read`, Basic auth) holding `secret`. */
function benchClient(ids, secret, now, overrides) {
  return {
    id: ids.newId('cli'),
    grantTypes: ['client_credentials'],
    scope: ['read'],
    defaultScope: [],
    audiences: [],
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
    secrets: [{ hash: ids.hashSecret(secret), start: secret.slice(0, 12), createdAt: now, expiresAt: null }],
    ...overrides,
  };
}

/**
 * The refresh scenario's client (ES256 ID tokens, `id_token_signed_response_alg`), person and 24
 * refresh tokens of an `openid offline_access` grant, each its own family (as bench/lib/tessera.mjs).
 */
async function refreshTokens(runtime, ids, now) {
  const secret = ids.mintSecret('cs');
  const client = benchClient(ids, secret, now, {
    name: 'bench refresh',
    grantTypes: ['authorization_code', 'refresh_token'],
    scope: ['openid', 'offline_access', 'read'],
    audiences: ['https://api.bench.local'],
    redirectUris: ['https://app.bench.local/callback'],
    firstParty: true,
    idTokenSignedResponseAlg: 'ES256',
  });
  await runtime.store.createClient(client, now);
  const tokens = await seedRefreshTokens(runtime.store, ids, now, client.id, 24);
  const authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  return { tokens, authorization };
}
