/// <reference types="node" />
/**
 * `@tessera/protocol/aead`: AES-256-GCM sealing in the one format Tessera writes at rest, shared by
 * the server (signing keys under the master key, sealed sign-in state, refresh-token successors) and
 * the client's backend-for-frontend (sessions): `v1.<iv>.<ciphertext>.<tag>`, each part base64url, a
 * 96-bit random IV per seal (NIST SP 800-38D §8.2.2). The associated data binds a sealed value to
 * where it is stored (a key id, a session key), so a value copied elsewhere does not open.
 *
 * Node only (`node:crypto`), hence a subpath of its own: the main entry stays platform-neutral.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * Encrypts `plaintext` under a 32-byte key, bound to `associatedData`.
 *
 * @example
 * ```ts
 * import { openAesGcm, sealAesGcm } from '@tessera/protocol/aead';
 * const sealed = sealAesGcm(key, 'secret', 'row-1'); // 'v1.…'
 * openAesGcm(key, sealed, 'row-1'); // 'secret'
 * ```
 */
export function sealAesGcm(key: Uint8Array, plaintext: string, associatedData: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, ...[iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url'))].join(
    '.',
  );
}

/**
 * Decrypts a value from {@link sealAesGcm}; `undefined` when it is malformed, was sealed under
 * another key or other associated data, or was altered.
 *
 * @example
 * ```ts
 * openAesGcm(key, sealed, 'row-2'); // undefined: sealed for 'row-1'
 * ```
 */
export function openAesGcm(key: Uint8Array, sealed: string, associatedData: string): string | undefined {
  const [version, iv, ciphertext, tag, extra] = sealed.split('.');
  if (
    version !== VERSION ||
    iv === undefined ||
    ciphertext === undefined ||
    tag === undefined ||
    extra !== undefined
  ) {
    return undefined;
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return undefined;
  }
}
