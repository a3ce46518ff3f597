/**
 * Verifies one of our own compact JWS access tokens (RFC 7515 §7.1) with a synchronous
 * `crypto.verify` on the keyring's `KeyObject`, the counterpart of `access-token.ts`'s signing:
 * jose's `jwtVerify` goes through WebCrypto, whose job is queued on libuv's thread pool, at about
 * half the rate here. jose still judges the claims: the verified payload segment is decoded by
 * `UnsecuredJWT.decode` under a `none` header carrying the token's `typ`, with the same options
 * `jwtVerify` would get, so no claim rule is re-implemented. Only the plain header Tessera writes
 * (`alg`, `kid`, `typ`) takes this path; the caller leaves any other to `jwtVerify`.
 */
import { verify } from 'node:crypto';
import { type JWTClaimVerificationOptions, type JWTPayload, UnsecuredJWT } from 'jose';
import type { SigningKey } from '../keys/keyring.js';

const PLAIN_MEMBERS: ReadonlySet<string> = new Set(['alg', 'kid', 'typ']);

/** True when the protected header holds nothing but `alg`, `kid` and `typ` (strings). */
export function isPlainHeader(header: Record<string, unknown>): boolean {
  return Object.keys(header).every((name) => PLAIN_MEMBERS.has(name) && typeof header[name] === 'string');
}

/** RFC 7518 §3.3, §3.4 (R‖S, not DER) and RFC 8037 §3.1. */
function signatureHolds(key: SigningKey, data: Buffer, signature: Buffer): boolean {
  switch (key.alg) {
    case 'ES256':
      return verify('sha256', data, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    case 'RS256':
      return verify('sha256', data, key.publicKey, signature);
    case 'EdDSA':
      return verify(null, data, key.publicKey, signature);
  }
}

/**
 * The verified claims of `token`, signed by `key` with its own algorithm; throws (as jose does)
 * when the signature or a claim fails.
 *
 * @example
 * ```ts
 * const payload = verifyPlainJws(token, 'at+jwt', key, { issuer, typ: 'at+jwt' });
 * ```
 */
export function verifyPlainJws(
  token: string,
  typ: string | undefined,
  key: SigningKey,
  rules: JWTClaimVerificationOptions,
): JWTPayload {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  const signature = Buffer.from(token.slice(second + 1), 'base64url');
  if (!signatureHolds(key, Buffer.from(token.slice(0, second)), signature)) {
    throw new Error('signature verification failed');
  }
  const none = Buffer.from(
    JSON.stringify(typ === undefined ? { alg: 'none' } : { alg: 'none', typ }),
  ).toString('base64url');
  return UnsecuredJWT.decode(`${none}.${token.slice(first + 1, second)}.`, rules).payload;
}
