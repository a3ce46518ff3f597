/**
 * JWS compact serialization (RFC 7515 §7.1) of a JSON payload, signed with one synchronous
 * `node:crypto` sign on the keyring's `KeyObject`, under a protected header `{alg, kid, typ}` that is
 * encoded once per key. Access tokens (`typ: at+jwt`, RFC 9068 §2.1), ID tokens (`typ: JWT`) and
 * Security Event Tokens (`typ: secevent+jwt`, RFC 8417 §2.3) are all signed this way: jose's
 * `SignJWT` goes through WebCrypto (a thread-pool round trip per signature) and measured about 4×
 * slower for ES256 here. The output is what jose verifies (the
 * tests check tokens with `jose.jwtVerify`); no JOSE logic beyond `header.payload.signature`.
 */
import { sign } from 'node:crypto';
import type { SigningKey } from '../keys/keyring.js';

/** Signs `data` as JWS `alg` (RFC 7518 §3.4: ECDSA signatures are R‖S, not DER). */
function signJws(key: SigningKey, data: Buffer): Buffer {
  switch (key.alg) {
    case 'ES256':
      return sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    case 'RS256':
      return sign('sha256', data, key.privateKey);
    case 'EdDSA':
      return sign(null, data, key.privateKey);
  }
}

/**
 * Signs payloads as compact JWSs with header `typ`; the encoded header is kept per key. A string
 * payload is taken as the payload's JSON, already serialised.
 */
export type CompactJwsSigner = (key: SigningKey, payload: Record<string, unknown> | string) => string;

/**
 * One scratch buffer for the bytes of a payload and of a signing input, which `crypto.sign` reads
 * synchronously: no two `Buffer.from` copies (and their pool allocations) per token. It only ever
 * holds what the token itself shows; a payload too long for it takes the copies instead.
 */
const scratch = Buffer.allocUnsafe(16 * 1024);

export function createCompactJwsSigner(typ: 'at+jwt' | 'JWT' | 'secevent+jwt'): CompactJwsSigner {
  const headers = new Map<string, string>();

  function encodedHeader(key: SigningKey): string {
    let header = headers.get(key.kid);
    if (header === undefined) {
      header = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ })).toString('base64url');
      headers.set(key.kid, header);
    }
    return header;
  }

  return (key, payload) => {
    const json = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const header = encodedHeader(key);
    // UTF-8 takes at most 3 bytes per UTF-16 unit, base64url 4 characters per 3 bytes: the signing
    // input then has at most header + 1 + 4 × json.length characters, all ASCII.
    if (header.length + 1 + 4 * json.length > scratch.length) {
      const signingInput = `${header}.${Buffer.from(json).toString('base64url')}`;
      return `${signingInput}.${signJws(key, Buffer.from(signingInput)).toString('base64url')}`;
    }
    const signingInput = `${header}.${scratch.toString('base64url', 0, scratch.write(json, 0, 'utf8'))}`;
    const length = scratch.write(signingInput, 0, 'latin1');
    return `${signingInput}.${signJws(key, scratch.subarray(0, length)).toString('base64url')}`;
  };
}
