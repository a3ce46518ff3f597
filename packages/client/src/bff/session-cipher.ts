/// <reference types="node" />
/**
 * Sessions are encrypted at rest with AES-256-GCM (node:crypto): a stolen session database or
 * Redis dump reveals no token. Each record is bound to its storage key as additional
 * authenticated data, so a sealed record copied under another session's key does not open.
 * The format is the one in `@tessera/protocol/aead` (`v1.<iv>.<ciphertext>.<tag>`), shared with the server.
 */
import { openAesGcm, sealAesGcm } from '@tessera/protocol/aead';

/**
 * Encrypts and decrypts session records.
 *
 * @example
 * ```ts
 * const cipher = createSessionCipher(key);
 * const sealed = cipher.seal('{"tokens":…}', storageKey);
 * cipher.open(sealed, storageKey); // the JSON again, or undefined if tampered with
 * ```
 */
export interface SessionCipher {
  seal(plaintext: string, associatedData: string): string;
  /** `undefined` when the record was altered, sealed under another key, or moved. */
  open(sealed: string, associatedData: string): string | undefined;
}

/**
 * Decodes a 32-byte session key given as 64 hex characters or 43 base64url characters.
 *
 * @example
 * ```ts
 * const key = parseSessionKey(process.env.BFF_SESSION_KEY ?? ''); // `openssl rand -hex 32`
 * ```
 */
export function parseSessionKey(value: string | Uint8Array): Buffer {
  const key =
    typeof value !== 'string'
      ? Buffer.from(value)
      : /^[0-9a-fA-F]{64}$/.test(value)
        ? Buffer.from(value, 'hex')
        : Buffer.from(value, 'base64url');
  if (key.length !== 32) {
    throw new TypeError(
      'The BFF session key must be 32 bytes (64 hex characters, e.g. `openssl rand -hex 32`)',
    );
  }
  return key;
}

/**
 * Creates an AES-256-GCM {@link SessionCipher}.
 *
 * @example
 * ```ts
 * const cipher = createSessionCipher(parseSessionKey(process.env.BFF_SESSION_KEY ?? ''));
 * ```
 */
export function createSessionCipher(key: Uint8Array): SessionCipher {
  const secret = parseSessionKey(key);
  return {
    seal: (plaintext, associatedData) => sealAesGcm(secret, plaintext, associatedData),
    open: (sealed, associatedData) => openAesGcm(secret, sealed, associatedData),
  };
}
