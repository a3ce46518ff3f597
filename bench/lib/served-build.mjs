/**
 * One build of the server (a copy of packages/server with its `dist/`) started for the served
 * API-key micro-bench (bench/micro/served-ab.mjs): the production settings of
 * bench/micro/http-path.mjs (https issuer behind a proxy, `info` access log to a sink, SQLite, rate
 * limits raised but running), one resource server with `api_keys:verify` and 1,000 keys, listening
 * on 127.0.0.1. Returns the autocannon job for the load process (served-ab-load.mjs).
 * `extraOverrides` are added to the configuration (for an ablation run; `log.level` also sets the
 * access logger's level). `scenario` picks the job: `api-key-verify` (default), `cc-jwt-es256`
 * (`POST /token`, client credentials, the bench's body; count-served.mjs) or `refresh`
 * (`POST /token`, `grant_type=refresh_token` for a client with ES256 ID tokens and an
 * `openid offline_access` grant, as the bench's `tessera.refresh-rotation.sqlite`: the job's
 * `rotate` pool of 24 refresh tokens, each answer's new token put back for a later request).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

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
      ...extraOverrides,
    },
  });
  const sink = new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
  const runtime = await createRuntime(config, {
    logger: createLogger({ level: extraOverrides['log.level'] ?? 'info', destination: sink }),
  });
  const now = Math.floor(Date.now() / 1000);
  const secret = ids.mintSecret('cs');
  const client = {
    id: ids.newId('cli'),
    name: 'bench',
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
    permissions: ['introspect', 'api_keys:verify'],
    disabled: false,
    secrets: [{ hash: ids.hashSecret(secret), start: secret.slice(0, 12), createdAt: now, expiresAt: null }],
  };
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
    async close() {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The refresh scenario's client (ES256 ID tokens, `id_token_signed_response_alg`), person and 24
 * refresh tokens of an `openid offline_access` grant, each its own family (as bench/lib/tessera.mjs).
 */
async function refreshTokens(runtime, ids, now) {
  const secret = ids.mintSecret('cs');
  const client = {
    id: ids.newId('cli'),
    name: 'bench refresh',
    grantTypes: ['authorization_code', 'refresh_token'],
    scope: ['openid', 'offline_access', 'read'],
    defaultScope: [],
    audiences: ['https://api.bench.local'],
    redirectUris: ['https://app.bench.local/callback'],
    postLogoutRedirectUris: [],
    tokenEndpointAuthMethod: 'client_secret_basic',
    tokenFormat: 'jwt',
    accessTokenTtl: null,
    metadata: {},
    jwks: null,
    jwksUri: null,
    firstParty: true,
    permissions: [],
    disabled: false,
    idTokenSignedResponseAlg: 'ES256',
    secrets: [{ hash: ids.hashSecret(secret), start: secret.slice(0, 12), createdAt: now, expiresAt: null }],
  };
  await runtime.store.createClient(client, now);
  const user = await runtime.store.createUser(
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
  const tokens = [];
  for (let n = 0; n < 24; n += 1) {
    const token = ids.mintSecret('rt');
    await runtime.store.insertRefreshToken({
      hash: ids.hashSecret(token),
      familyId: ids.newId('fam'),
      clientId: client.id,
      userId: user.id,
      sessionId: null,
      scope: ['openid', 'offline_access'],
      audience: ['https://api.bench.local'],
      authTime: now,
      amr: ['pwd'],
      acr: null,
      issuedAt: now,
      expiresAt: now + 86_400,
      familyExpiresAt: now + 30 * 86_400,
      usedAt: null,
      revokedAt: null,
      jkt: null,
    });
    tokens.push(token);
  }
  const authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  return { tokens, authorization };
}
