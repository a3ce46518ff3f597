/**
 * The cache key of a token: its SHA-256, base64url, which is also how Tessera stores opaque
 * tokens and names them in `token` revocations. The caches hold hashes, never tokens, so a heap
 * dump of an API server does not hand out live credentials.
 *
 * On Node the hash is synchronous (`node:crypto` `hash()`, about a microsecond for an access
 * token); elsewhere (edge runtimes) it falls back to WebCrypto. `node:crypto` is reached through
 * `process.getBuiltinModule` so the core stays free of Node imports and typings.
 */

type SyncHash = (algorithm: string, data: string, encoding: 'base64url') => string;

interface NodeCryptoLike {
  hash?: SyncHash;
}

function loadNodeHash(): ((token: string) => string) | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const crypto = proc?.getBuiltinModule?.('node:crypto') as NodeCryptoLike | undefined;
  const hash = crypto?.hash;
  if (typeof hash !== 'function') {
    return undefined;
  }
  return (token) => hash('sha256', token, 'base64url');
}

/** Synchronous SHA-256 (base64url) where the runtime offers it, else undefined. */
export const hashTokenSync: ((token: string) => string) | undefined = loadNodeHash();

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
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
  return toBase64Url(new Uint8Array(digest));
}
