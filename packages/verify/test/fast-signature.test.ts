/**
 * The unseen-token path verifies plain JWTs with `crypto.verify` on a cached `KeyObject`
 * (`src/jws-signature.ts`) instead of jose's WebCrypto `jwtVerify`. These tests hold it to the same
 * verdicts as `jose.jwtVerify` on the same JWKS: every forged, expired, mistyped or foreign token
 * that jose refuses is refused, with the same description, for ES256, EdDSA, RS256 and PS256.
 * @see issue 18
 */
import { sign as cryptoSign } from 'node:crypto';
import { createLocalJWKSet, exportJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyPairFromDer } from '../../server/src/keys/keyring.js';
import { createVerifier, type Verifier, VerifyError } from '../src/index.js';
import { keyFits, keyObjectOf, parsePlainCompactJws, verifyJwsSignature } from '../src/jws-signature.js';

const ISSUER = 'https://auth.fast.test';
const AUDIENCE = 'https://api.fast.test';
const NOW = 1_900_000_000;

const PAIRS = {
  ES256: generateKeyPairFromDer('ec', { namedCurve: 'P-256' }),
  EdDSA: generateKeyPairFromDer('ed25519'),
  RS256: generateKeyPairFromDer('rsa', { modulusLength: 2048 }),
  PS256: generateKeyPairFromDer('rsa', { modulusLength: 2048 }),
} as const;
type Alg = keyof typeof PAIRS;
const ALGS = Object.keys(PAIRS) as Alg[];

const jwks: { keys: JWK[] } = { keys: [] };
for (const alg of ALGS) {
  jwks.keys.push({ ...(await exportJWK(PAIRS[alg].publicKey)), kid: `k-${alg}`, alg, use: 'sig' });
}

const verifiers: Verifier[] = [];
afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((v) => v.close()));
});

function verifier(): Verifier {
  const v = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ALGS,
    revocations: false,
    now: () => NOW,
    endpoints: { jwksUri: `${ISSUER}/jwks` },
    fetch: async () =>
      new Response(JSON.stringify(jwks), { status: 200, headers: { 'content-type': 'application/json' } }),
  });
  verifiers.push(v);
  return v;
}

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    sub: 'cli_fast',
    aud: AUDIENCE,
    client_id: 'cli_fast',
    scope: 'read',
    iat: NOW - 10,
    exp: NOW + 300,
    jti: `jti-${Math.random()}`,
    ...overrides,
  };
}

function sign(
  alg: Alg,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg, kid: `k-${alg}`, typ: 'at+jwt', ...header })
    .sign(PAIRS[alg].privateKey);
}

/** jose's own verdict with the verifier's rules: undefined when accepted, else the error name. */
async function joseVerdict(token: string): Promise<string | undefined> {
  try {
    await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: ISSUER,
      audience: [AUDIENCE],
      algorithms: ALGS,
      typ: 'at+jwt',
      clockTolerance: 5,
      currentDate: new Date(NOW * 1000),
      requiredClaims: ['exp', 'iat', 'sub', 'jti', 'client_id'],
    });
    return undefined;
  } catch (error) {
    return (error as Error).name;
  }
}

async function ourVerdict(v: Verifier, token: string): Promise<string | undefined> {
  try {
    await v.verify(`Bearer ${token}`);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(VerifyError);
    return (error as VerifyError).description;
  }
}

function tamperPayload(token: string, change: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  return `${header}.${Buffer.from(JSON.stringify({ ...decoded, ...change })).toString('base64url')}.${signature}`;
}

function flipSignature(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

describe.each(ALGS)('the crypto.verify path agrees with jose.jwtVerify (%s)', (alg) => {
  it('RFC 9068 §4 — a genuine token signed by jose is accepted by both', async () => {
    const token = await sign(alg, claims());
    expect(parsePlainCompactJws(token, ALGS)).toBeDefined();
    expect(await joseVerdict(token)).toBeUndefined();
    const verified = await verifier().verify(`Bearer ${token}`);
    expect(verified).toMatchObject({ tokenType: 'jwt', subject: 'cli_fast', scope: ['read'] });
  });

  it('RFC 7515 §5.2 / RFC 9068 §4 — forged, expired, early, foreign and mistyped tokens are refused as jose refuses them', async () => {
    const v = verifier();
    const genuine = await sign(alg, claims());
    const cases: Array<[string, string, string]> = [
      [
        tamperPayload(genuine, { scope: 'read admin' }),
        'JWSSignatureVerificationFailed',
        'The access token signature is invalid',
      ],
      [flipSignature(genuine), 'JWSSignatureVerificationFailed', 'The access token signature is invalid'],
      [await sign(alg, claims({ exp: NOW - 6 })), 'JWTExpired', 'The access token has expired'],
      [
        await sign(alg, claims({ nbf: NOW + 60 })),
        'JWTClaimValidationFailed',
        'The access token is not valid yet',
      ],
      [
        await sign(alg, claims({ aud: 'https://other.test' })),
        'JWTClaimValidationFailed',
        'The access token is not meant for this API',
      ],
      [
        await sign(alg, claims({ iss: 'https://impostor.test' })),
        'JWTClaimValidationFailed',
        'The access token was issued by another issuer',
      ],
      [
        await sign(alg, claims({ jti: undefined })),
        'JWTClaimValidationFailed',
        'The access token lacks a required claim',
      ],
      [
        await sign(alg, claims(), { typ: 'JWT' }),
        'JWTClaimValidationFailed',
        'The token is not an access token (RFC 9068 typ at+jwt)',
      ],
    ];
    for (const [token, joseError, description] of cases) {
      expect(await joseVerdict(token)).toBe(joseError);
      expect(await ourVerdict(v, token)).toBe(description);
    }
  });
});

describe('the plain shape and the key checks', () => {
  it('RFC 7515 §4.1.11 — a header with crit, jku or b64, or an algorithm not allowed, is left to jose', async () => {
    const token = await sign('ES256', claims());
    expect(parsePlainCompactJws(token, ['EdDSA'])).toBeUndefined();
    const [, payload, signature] = token.split('.') as [string, string, string];
    for (const extra of [{ crit: ['exp'] }, { jku: 'https://evil.test/jwks' }, { b64: false }]) {
      const header = Buffer.from(
        JSON.stringify({ alg: 'ES256', kid: 'k-ES256', typ: 'at+jwt', ...extra }),
      ).toString('base64url');
      expect(parsePlainCompactJws(`${header}.${payload}.${signature}`, ALGS)).toBeUndefined();
    }
    // A genuine signature over a header naming an unknown critical extension: jose refuses it
    // (RFC 7515 §4.1.11), and so does the verifier.
    const critHeader = Buffer.from(
      JSON.stringify({ alg: 'ES256', kid: 'k-ES256', typ: 'at+jwt', crit: ['urn:x'], 'urn:x': 1 }),
    ).toString('base64url');
    const input = `${critHeader}.${payload}`;
    const critSignature = cryptoSign('sha256', Buffer.from(input), {
      key: PAIRS.ES256.privateKey,
      dsaEncoding: 'ieee-p1363',
    }).toString('base64url');
    const crit = `${input}.${critSignature}`;
    expect(await joseVerdict(crit)).toBe('JOSENotSupported');
    expect(await ourVerdict(verifier(), crit)).toBe('The access token is malformed');
  });

  it('RFC 7518 §3.4 — a signature checks only against a key of the right type, curve and size', () => {
    const es256 = keyObjectOf(PAIRS.ES256.publicKey);
    expect(es256).toBeDefined();
    if (es256 === undefined) {
      return;
    }
    expect(keyFits('ES256', es256)).toBe(true);
    expect(keyFits('ES384', es256)).toBe(false);
    expect(keyFits('RS256', es256)).toBe(false);
    expect(keyFits('RS256', generateKeyPairFromDer('rsa', { modulusLength: 1024 }).publicKey)).toBe(false);
    expect(keyObjectOf(PAIRS.ES256.privateKey)).toBeUndefined();
    expect(keyObjectOf('secret')).toBeUndefined();
  });

  it('RFC 7515 §5.2 — verifyJwsSignature accepts jose-signed input and refuses a flipped bit', async () => {
    for (const alg of ALGS) {
      const token = await sign(alg, claims());
      const key = keyObjectOf(PAIRS[alg].publicKey);
      const good = parsePlainCompactJws(token, ALGS);
      const bad = parsePlainCompactJws(flipSignature(token), ALGS);
      expect(key !== undefined && good !== undefined && bad !== undefined).toBe(true);
      if (key === undefined || good === undefined || bad === undefined) {
        return;
      }
      expect(verifyJwsSignature(good, key)).toBe(true);
      expect(verifyJwsSignature(bad, key)).toBe(false);
    }
  });
});
