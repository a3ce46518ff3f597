/**
 * Local verification of Tessera's own JWT access tokens (RFC 9068 §4), for introspection and
 * revocation: signature with a published keyring key selected by `kid`, the key's own algorithm
 * only (never `none`, never HMAC), `typ: at+jwt`, our `iss`, and the required claims.
 *
 * Tokens carrying key-distribution headers (`jwk`, `jku`, `x5u`, `x5c`) are refused outright: we
 * never put them in our tokens, and honouring one would let the token pick its own key (RFC 8725
 * §3.10). Returns `undefined` for anything forged, malformed, expired or foreign: callers answer
 * "inactive" and need no reason.
 */
import { hash } from 'node:crypto';
import type { AccessTokenClaims } from '@tessera/protocol';
import { decodeProtectedHeader, type JWTPayload, jwtVerify, type ProtectedHeaderParameters } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock.js';
import type { SigningKey } from '../keys/keyring.js';
import { isPlainHeader, verifyPlainJws } from './jws-verify.js';

export interface AccessTokenVerifierDeps {
  issuer: string;
  keyring: { find(kid: string): SigningKey | undefined };
  clock: Clock;
}

/**
 * The claims of a valid token, else `undefined`. A token verified before is answered from memory
 * without a promise (introspection's hot path); a first sight is a promise (the signature check).
 */
export type AccessTokenVerifier = (
  token: string,
) => AccessTokenClaims | undefined | Promise<AccessTokenClaims | undefined>;

/** Three base64url segments; the signature may be empty so a stripped token is judged, not crashed on. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** True when the string has the shape of a JWS compact serialization (RFC 7515 §7.1). */
export function looksLikeJwt(token: string): boolean {
  return token.length <= 16_384 && COMPACT_JWS.test(token);
}

const FORBIDDEN_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

function isAccessTokenClaims(payload: JWTPayload): payload is JWTPayload & AccessTokenClaims {
  return (
    typeof payload.sub === 'string' &&
    typeof payload.client_id === 'string' &&
    typeof payload.jti === 'string' &&
    typeof payload.iat === 'number' &&
    typeof payload.exp === 'number' &&
    (payload.scope === undefined || typeof payload.scope === 'string') &&
    (typeof payload.aud === 'string' || Array.isArray(payload.aud))
  );
}

/** A token verified before: its claims, and the key that signed it (it must still be published). */
interface VerifiedEntry {
  claims: AccessTokenClaims;
  kid: string;
}

export function createAccessTokenVerifier(deps: AccessTokenVerifierDeps): AccessTokenVerifier {
  // Resource servers introspect the same token again and again: a token verified once is kept,
  // keyed by its SHA-256 (never the token itself), until its `exp`, so the next introspection costs
  // a hash and a lookup instead of a signature check. Revocation is checked by the caller each time.
  const verified = new LRUCache<string, VerifiedEntry>({ max: 10_000 });

  return function verifyAccessToken(token) {
    if (!looksLikeJwt(token)) {
      return undefined;
    }
    const cacheKey = hash('sha256', token, 'base64url');
    const hit = verified.get(cacheKey);
    if (hit !== undefined) {
      if (hit.claims.exp > deps.clock.now() && deps.keyring.find(hit.kid) !== undefined) {
        return hit.claims;
      }
      verified.delete(cacheKey);
      return undefined;
    }
    return verifyUnseen(token, cacheKey);
  };

  /** A token not in memory: header, key, signature and claims; kept when valid. */
  async function verifyUnseen(token: string, cacheKey: string): Promise<AccessTokenClaims | undefined> {
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return undefined;
    }
    if (typeof header.kid !== 'string' || FORBIDDEN_HEADERS.some((name) => Object.hasOwn(header, name))) {
      return undefined;
    }
    const key = deps.keyring.find(header.kid);
    if (key === undefined || header.alg !== key.alg) {
      return undefined;
    }
    try {
      const rules = {
        issuer: deps.issuer,
        typ: 'at+jwt',
        algorithms: [key.alg],
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'aud'],
        currentDate: new Date(deps.clock.nowMs()),
      };
      // Our own plain tokens: crypto.verify on the keyring's KeyObject (jws-verify.ts); else jose.
      const payload = isPlainHeader(header as Record<string, unknown>)
        ? verifyPlainJws(token, header.typ, key, rules)
        : (await jwtVerify(token, key.publicKey, rules)).payload;
      if (!isAccessTokenClaims(payload)) {
        return undefined;
      }
      verified.set(cacheKey, { claims: payload, kid: key.kid });
      return payload;
    } catch {
      return undefined;
    }
  }
}
