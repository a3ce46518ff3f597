/**
 * Sealing of private keys at rest: AES-256-GCM under the master key, with the key id as
 * associated data so a sealed blob cannot be moved to another key's row (DESIGN §3).
 * Format: `v1.<iv>.<ciphertext>.<tag>`, each part base64url.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** The master key does not open a sealed value: wrong key, or tampered data. */
export class UnsealError extends Error {
  override readonly name = 'UnsealError';
}

/**
 * The id of a master key, stored next to every value it sealed: the first 8 bytes (hex) of a
 * domain-separated SHA-256 of the key. It tells which key opens a row, and reveals nothing usable.
 */
export function masterKeyIdOf(masterKey: Buffer): string {
  return createHash('sha256').update('tessera master key id\0').update(masterKey).digest('hex').slice(0, 16);
}

export function seal(masterKey: Buffer, plaintext: string, associatedData: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

export function unseal(masterKey: Buffer, sealed: string, associatedData: string): string {
  const [version, iv, ciphertext, tag] = sealed.split('.');
  if (version !== 'v1' || iv === undefined || ciphertext === undefined || tag === undefined) {
    throw new UnsealError('Sealed value has an unknown format');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch (error) {
    throw new UnsealError('The master key does not open the sealed signing keys (wrong master key?)', {
      cause: error,
    });
  }
}
