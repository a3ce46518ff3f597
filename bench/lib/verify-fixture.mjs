/**
 * What the `@tessera/verify` micro-benchmarks share (`micro/verify.mjs`, `micro/verify-ab.mjs`): one
 * ES256 key, RFC 9068 access tokens signed the way Tessera signs them, the raw `node:crypto` floor,
 * and a verifier of a given build of packages/verify with the JWKS served from memory.
 */
import { createPrivateKey, randomUUID, sign, verify } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportJWK } from 'jose';
import { keyPair } from './key-pair.mjs';
import { ROOT_DIR } from './procs.mjs';

export const ISSUER = 'https://auth.bench.local';
export const AUDIENCE = 'https://api.bench.local';
/** Calls awaited together, the same way for every bench. */
export const BATCH = 64;
/** Above the verifier's default cache of 10,000 entries, so a cycled pool always misses. */
export const UNSEEN_POOL = 12_000;

const { privateKey, publicKey } = keyPair('ec', { namedCurve: 'P-256' });

export { publicKey };

const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'bench' })).toString(
  'base64url',
);
const signer = createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }));

/** An RFC 9068 access token, signed like Tessera signs (node:crypto, P1363). */
export function mintToken() {
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

/** The floor of any JWT check: split, decode the signature, one `crypto.verify`, `JSON.parse`. */
export function rawVerify(token) {
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

/**
 * A ready verifier of the build in `dir` (a copy of packages/verify with its `dist/`; default the
 * checkout's), or undefined when that build has no `dist/`.
 */
export async function createTesseraVerifier(dir = join(ROOT_DIR, 'packages/verify')) {
  let mod;
  try {
    mod = await import(pathToFileURL(join(dir, 'dist/index.js')).href);
  } catch (error) {
    return { missing: `${dir}/dist missing (run tsc -b): ${error.message}` };
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
  return { verifier };
}
