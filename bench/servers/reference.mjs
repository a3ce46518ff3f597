/**
 * The reference handlers (issue 18): per hot path, the minimal hand-written Fastify route doing the
 * work no implementation can skip, and nothing else. It is the limit Tessera is measured against,
 * run beside it in every `npm run bench`. It must stay honest: every step Tessera's answer depends
 * on is done here too, with the same primitives (no shortcut Tessera could not take).
 *
 * - `POST /{es256,eddsa,rs256}/token` (client credentials, RFC 6749 §4.4): strict form parse, Basic
 *   auth (RFC 6749 §2.3.1, form-urldecoded id and secret), the client found in a `Map`, one SHA-256
 *   of the secret and `timingSafeEqual` against the stored digest, `grant_type` and `scope` checked,
 *   the RFC 9068 §2.2 claims with a random `jti` (16 pooled CSPRNG bytes), ONE `crypto.sign` on a
 *   cached private `KeyObject`, the JSON answer with `Cache-Control: no-store` (RFC 6749 §5.1).
 * - `POST /api-keys/verify`: form parse, Basic auth of the calling resource server (same as above:
 *   Tessera's endpoint requires it), one SHA-256 of the key, a `Map` lookup, the JSON answer.
 * - `POST /introspect` (RFC 7662): Basic auth of the caller, form parse, SHA-256 of the token, a
 *   lookup in a verified-token cache (on a miss: one `crypto.verify` on the cached public key and
 *   the claim checks), expiry and a denylist lookup by `jti`, the JSON answer.
 * - `POST /argon2/verify` (the floor of a password sign-in): form parse, ONE raw `@node-rs/argon2`
 *   `verify` of the password against an argon2id hash made with Tessera's own parameters (the
 *   harness hashes it with the server's `createPasswordHasher`), the JSON answer. No bound on how
 *   many run at once: the load's connections all reach argon2 (libuv's pool runs 4 at a time).
 *
 * Usage: node servers/reference.mjs <port> <config.json>; config: { issuer, audience,
 *   clients: [{ id, secretSha256 }], resourceServer: { id, secretSha256 }, apiKeySha256: [..],
 *   passwordHash? }.
 */
import { hash, randomBytes, sign, timingSafeEqual, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { verify as verifyPassword } from '@node-rs/argon2';
import Fastify from 'fastify';
import { keyPair } from '../lib/key-pair.mjs';

const [port, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, 'utf8'));
/** Tessera's default access-token lifetime (tokens.accessTokenTtl, 10 min). */
const TTL = 600;

const sha256 = (text) => hash('sha256', text, 'buffer');
const clients = new Map(config.clients.map((c) => [c.id, Buffer.from(c.secretSha256, 'base64url')]));
clients.set(config.resourceServer.id, Buffer.from(config.resourceServer.secretSha256, 'base64url'));
const apiKeys = new Map(
  config.apiKeySha256.map((hash, n) => [
    hash,
    { key_id: `key_${n}`, owner: config.resourceServer.id, name: 'bench', scope: 'read' },
  ]),
);

const KEYS = {
  ES256: keyPair('ec', { namedCurve: 'P-256' }),
  EdDSA: keyPair('ed25519'),
  RS256: keyPair('rsa', { modulusLength: 2048 }),
};
const SIGN = {
  ES256: (data, key) => sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }),
  EdDSA: (data, key) => sign(null, data, key),
  RS256: (data, key) => sign('sha256', data, key),
};
const VERIFY = {
  ES256: (data, key, sig) => verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig),
  EdDSA: (data, key, sig) => verify(null, data, key, sig),
  RS256: (data, key, sig) => verify('sha256', data, key, sig),
};
const HEADERS = Object.fromEntries(
  Object.keys(KEYS).map((alg) => [
    alg,
    Buffer.from(JSON.stringify({ alg, kid: `ref-${alg}`, typ: 'at+jwt' })).toString('base64url'),
  ]),
);

// Random ids from a pooled CSPRNG buffer, as Tessera's ids do (src/ids.ts).
let pool = randomBytes(4096);
let poolOffset = 0;
function jti() {
  if (poolOffset + 16 > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  poolOffset += 16;
  return pool.toString('base64url', poolOffset - 16, poolOffset);
}

function oauthError(reply, status, error) {
  return reply.code(status).header('cache-control', 'no-store').send({ error });
}

/** RFC 6749 §2.3.1 Basic auth → the client id, or undefined; one SHA-256 + timingSafeEqual. */
function authenticate(request) {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Basic ')) {
    return undefined;
  }
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    return undefined;
  }
  let id;
  let secret;
  try {
    id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
  const stored = clients.get(id);
  const presented = sha256(secret);
  // Compare even when the client is unknown, so timing does not tell which ids exist.
  const ok = timingSafeEqual(presented, stored ?? presented) && stored !== undefined;
  return ok ? id : undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const app = Fastify({ logger: false });
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_req, body, done) => {
  try {
    done(null, Object.fromEntries(new URLSearchParams(utf8.decode(body))));
  } catch {
    done(Object.assign(new Error('bad form'), { statusCode: 400 }));
  }
});

for (const alg of Object.keys(KEYS)) {
  const privateKey = KEYS[alg].privateKey;
  app.post(`/${alg.toLowerCase()}/token`, (request, reply) => {
    const clientId = authenticate(request);
    if (clientId === undefined) {
      return oauthError(reply, 401, 'invalid_client');
    }
    const body = request.body ?? {};
    if (body.grant_type !== 'client_credentials') {
      return oauthError(reply, 400, 'unsupported_grant_type');
    }
    if (body.scope !== undefined && body.scope !== 'read') {
      return oauthError(reply, 400, 'invalid_scope');
    }
    const iat = Math.floor(Date.now() / 1000);
    // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti; scope per §2.2.3.
    const payload = {
      iss: config.issuer,
      sub: clientId,
      aud: config.audience,
      client_id: clientId,
      scope: 'read',
      iat,
      exp: iat + TTL,
      jti: jti(),
    };
    const input = `${HEADERS[alg]}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    const token = `${input}.${SIGN[alg](Buffer.from(input), privateKey).toString('base64url')}`;
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return reply.send({ access_token: token, token_type: 'Bearer', expires_in: TTL, scope: 'read' });
  });
}

app.post('/api-keys/verify', (request, reply) => {
  if (authenticate(request) === undefined) {
    return oauthError(reply, 401, 'invalid_client');
  }
  const key = request.body?.key;
  if (typeof key !== 'string') {
    return oauthError(reply, 400, 'invalid_request');
  }
  const record = apiKeys.get(sha256(key).toString('base64url'));
  reply.header('cache-control', 'no-store');
  return reply.send(record === undefined ? { valid: false, code: 'not_found' } : { valid: true, ...record });
});

/** Verified tokens by SHA-256 (as Tessera's introspection cache), and the denylist by jti. */
const verified = new Map();
const denylist = new Set();

function verifyJwt(token) {
  const [header, payload, signature] = token.split('.');
  if (signature === undefined) {
    return undefined;
  }
  let alg;
  let claims;
  try {
    alg = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')).alg;
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const key = KEYS[alg]?.publicKey;
  if (key === undefined) {
    return undefined;
  }
  const ok = VERIFY[alg](Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'));
  return ok && claims.iss === config.issuer ? claims : undefined;
}

app.post('/introspect', (request, reply) => {
  if (authenticate(request) === undefined) {
    return oauthError(reply, 401, 'invalid_client');
  }
  const token = request.body?.token;
  if (typeof token !== 'string') {
    return oauthError(reply, 400, 'invalid_request');
  }
  const digest = sha256(token).toString('base64url');
  let claims = verified.get(digest);
  if (claims === undefined) {
    claims = verifyJwt(token);
    if (claims !== undefined) {
      verified.set(digest, claims);
    }
  }
  reply.header('cache-control', 'no-store');
  if (claims === undefined || claims.exp <= Math.floor(Date.now() / 1000) || denylist.has(claims.jti)) {
    return reply.send({ active: false });
  }
  return reply.send({ ...claims, active: true, token_type: 'Bearer' });
});

app.post('/argon2/verify', async (request, reply) => {
  const password = request.body?.password;
  if (typeof password !== 'string' || typeof config.passwordHash !== 'string') {
    return oauthError(reply, 400, 'invalid_request');
  }
  const valid = await verifyPassword(config.passwordHash, password).catch(() => false);
  reply.header('cache-control', 'no-store');
  return reply.send({ valid });
});

app.get('/', (_request, reply) => reply.send({ ready: true }));

const address = await app.listen({ host: '127.0.0.1', port: Number(port ?? 0) });
process.stdout.write(`ready ${new URL(address).port}\n`);
process.on('SIGTERM', () => {
  app.close().then(() => process.exit(0));
});
