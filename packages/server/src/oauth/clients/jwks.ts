/**
 * A client's registered JWK Set for `private_key_jwt` (RFC 7523 §2.2, RFC 7591 §2 `jwks`): public
 * keys only. A private member would mean the client's private key now sits in our database, and a
 * symmetric `k` would be a shared secret stored in the clear, so both are refused.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';

/** RFC 7518 §6.2.2, §6.3.2, §6.4: private and symmetric key members. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const MAX_KEYS = 10;

export interface PublicJwks {
  keys: Record<string, unknown>[];
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function findKeyProblem(key: unknown): string | undefined {
  if (!isPlainObject(key)) {
    return 'must be a JSON object';
  }
  for (const member of PRIVATE_MEMBERS) {
    if (member in key) {
      return member === 'k'
        ? 'is a symmetric key (k); register public keys only'
        : `contains the private member "${member}"; register public keys only`;
    }
  }
  if (key.kty !== 'RSA' && key.kty !== 'EC' && key.kty !== 'OKP') {
    return 'must have kty RSA, EC or OKP';
  }
  if (key.kid !== undefined && (typeof key.kid !== 'string' || key.kid.length === 0)) {
    return 'has a kid that is not a non-empty string';
  }
  if (key.use !== undefined && key.use !== 'sig') {
    return 'must have use "sig" when use is present';
  }
  try {
    // node:crypto checks the key material (curve points, modulus) without our own parsing.
    createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
  } catch {
    return 'is not a valid public key';
  }
  return undefined;
}

export interface JwksProblem {
  /** Where inside the set, e.g. `['keys', 0]`. */
  path: (string | number)[];
  message: string;
}

/** Returns why `value` is not a JWK Set of public signing keys, or undefined. */
export function findJwksProblem(value: unknown): JwksProblem | undefined {
  if (!isPlainObject(value) || !Array.isArray(value.keys)) {
    return { path: [], message: 'must be a JWK Set: {"keys": [...]}' };
  }
  if (value.keys.length === 0 || value.keys.length > MAX_KEYS) {
    return { path: ['keys'], message: `must hold 1 to ${MAX_KEYS} keys` };
  }
  const kids = new Set<string>();
  for (const [index, key] of value.keys.entries()) {
    const problem = findKeyProblem(key);
    if (problem !== undefined) {
      return { path: ['keys', index], message: problem };
    }
    const kid = (key as Record<string, unknown>).kid;
    if (typeof kid === 'string') {
      if (kids.has(kid)) {
        return { path: ['keys', index], message: 'repeats a kid; each kid must be unique' };
      }
      kids.add(kid);
    }
  }
  return undefined;
}
