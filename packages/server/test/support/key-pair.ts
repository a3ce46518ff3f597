/**
 * Key pairs for tests, read back from the generator's DER like the server's own
 * (`generateSigningKeyPair` in keys/keyring.ts). On Node 20 a KeyObject straight from
 * `generateKeyPairSync` shares a mutex with the generator's job; a garbage collection of that job
 * while the key is exported as a JWK deadlocks the process (test/keys/keygen-deadlock.test.ts).
 * A test that hangs for good is worse than one that fails, so no test takes keys from it directly.
 *
 * @example
 * ```ts
 * const { privateKey, publicKey } = testKeyPair('ec', { namedCurve: 'P-256' });
 * ```
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

export type TestKeyType = 'ec' | 'ed25519' | 'rsa';

export function testKeyPair(
  type: TestKeyType,
  options: { namedCurve?: string; modulusLength?: number } = {},
): { privateKey: KeyObject; publicKey: KeyObject } {
  const publicKeyEncoding = { type: 'spki', format: 'der' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'der' } as const;
  const der: Buffer =
    type === 'ec'
      ? generateKeyPairSync('ec', {
          namedCurve: options.namedCurve ?? 'P-256',
          publicKeyEncoding,
          privateKeyEncoding,
        }).privateKey
      : type === 'rsa'
        ? generateKeyPairSync('rsa', {
            modulusLength: options.modulusLength ?? 2048,
            publicKeyEncoding,
            privateKeyEncoding,
          }).privateKey
        : generateKeyPairSync('ed25519', { publicKeyEncoding, privateKeyEncoding }).privateKey;
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
