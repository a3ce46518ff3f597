/**
 * Sealing of private keys at rest: AES-256-GCM under the master key, with the key id as
 * associated data so a sealed blob cannot be moved to another key's row (DESIGN §3).
 * The format is the one in `@tessera/protocol/aead`, shared with the client's BFF sessions.
 */
import { createHash, hkdfSync } from 'node:crypto';
import { openAesGcm, sealAesGcm } from '@tessera/protocol/aead';

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
  return sealAesGcm(masterKey, plaintext, associatedData);
}

export function unseal(masterKey: Buffer, sealed: string, associatedData: string): string {
  if (!sealed.startsWith('v1.')) {
    throw new UnsealError('Sealed value has an unknown format');
  }
  const plaintext = openAesGcm(masterKey, sealed, associatedData);
  if (plaintext === undefined) {
    throw new UnsealError('The master key does not open the sealed signing keys (wrong master key?)');
  }
  return plaintext;
}

const TOTP_INFO = 'tessera totp secret v1';

/** The key that seals TOTP secrets: derived from the master key (HKDF-SHA-256), used for nothing else. */
export function totpSealingKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), TOTP_INFO, 32));
}

/** The associated data of a person's sealed TOTP secret: it cannot be moved to another row. */
export function totpAssociatedData(userId: string): string {
  return `${TOTP_INFO} ${userId}`;
}
