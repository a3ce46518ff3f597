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
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';

const VERSION = 'v1';
const IV_LENGTH = 12;

/**
 * 96-bit IVs come from a pooled buffer filled by the CSPRNG (`randomFillSync`), the same generator
 * `randomBytes` draws from: one `randomBytes(12)` call cost ~7–10 µs here, more than the whole
 * encryption, and a refresh rotation seals one successor (docs/performance.md). An IV is public (it
 * travels in the sealed value) and must only never repeat under a key, which random 96-bit values
 * drawn once each ensure as before; each slice is handed out once, and read before anything else can
 * run. Keys and secrets never come from this pool.
 */
const ivPool = Buffer.alloc(IV_LENGTH * 256);
let ivOffset = ivPool.length;

function nextIv(): Buffer {
  if (ivOffset + IV_LENGTH > ivPool.length) {
    randomFillSync(ivPool);
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + IV_LENGTH);
  ivOffset += IV_LENGTH;
  return iv;
}

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
  const iv = nextIv();
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
