/**
 * A token's SHA-256 in two spellings. The hash (base64url) is how Tessera stores opaque tokens and
 * names them in `token` revocations, and what DPoP's `ath` is (RFC 9449 §4.2). The key (the 32
 * digest bytes as a latin1 string) is what the verified-token cache is looked up by: the same
 * digest, without the base64url encoding, and a shorter string for the `Map` to hash (a seen token
 * pays both on every call; docs/performance.md). The caches hold digests, never tokens, so a heap
 * dump of an API server does not hand out live credentials.
 *
 * On Node the hash is synchronous (`node:crypto` `hash()`, about a microsecond for an access
 * token); elsewhere (edge runtimes) it falls back to WebCrypto. `node:crypto` is reached through
 * `process.getBuiltinModule` so the core stays free of Node imports and typings.
 */

type SyncHash = (algorithm: string, data: string, encoding: 'base64url' | 'latin1') => string;

interface NodeCryptoLike {
  hash?: SyncHash;
}

function loadNodeHash(): SyncHash | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const crypto = proc?.getBuiltinModule?.('node:crypto') as NodeCryptoLike | undefined;
  const hash = crypto?.hash;
  return typeof hash === 'function' ? hash : undefined;
}

const nodeHash = loadNodeHash();

/** Synchronous SHA-256 (base64url) where the runtime offers it, else undefined. */
export const hashTokenSync: ((token: string) => string) | undefined =
  nodeHash === undefined ? undefined : (token) => nodeHash('sha256', token, 'base64url');

/**
 * Synchronous cache key of a token (its SHA-256 as a 32-character latin1 string) where the runtime
 * offers it, else undefined.
 */
export const tokenKeySync: ((token: string) => string) | undefined =
  nodeHash === undefined ? undefined : (token) => nodeHash('sha256', token, 'latin1');

/**
 * The hash (base64url) of a cache key: the same digest, spelled for revocations and DPoP.
 *
 * @example
 * ```ts
 * hashOfKey(tokenKeySync(token)) === hashTokenSync(token); // true
 * ```
 */
export function hashOfKey(key: string): string {
  return btoa(key).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The cache key of a hash (base64url): the inverse of {@link hashOfKey}.
 *
 * @example
 * ```ts
 * keyOfHash(hashTokenSync(token)) === tokenKeySync(token); // true
 * ```
 */
export function keyOfHash(hash: string): string {
  return atob(hash.replace(/-/g, '+').replace(/_/g, '/'));
}

/** Bytes as a latin1 string (one character per byte): the form of a cache key. */
function latin1Of(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return binary;
}

/**
 * SHA-256 of a token, base64url without padding (the same value as Tessera's `hashSecret`).
 *
 * @example
 * ```ts
 * const key = await hashToken('tsr_at_…'); // 43 characters
 * ```
 */
export async function hashToken(token: string): Promise<string> {
  if (hashTokenSync !== undefined) {
    return hashTokenSync(token);
  }
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return hashOfKey(latin1Of(new Uint8Array(digest)));
}
