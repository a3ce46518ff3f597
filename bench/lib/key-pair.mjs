/**
 * Key pairs for the bench's servers and fixtures, read back from the generator's DER as the server's
 * own are (`generateKeyPairFromDer` in packages/server/src/keys/keyring.ts): on Node 20 a KeyObject
 * straight from `generateKeyPairSync` can deadlock the process when it is exported as a JWK while the
 * generator's job is garbage-collected. A bench that hangs at start reports nothing.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';

/** `type` and `options` as for `generateKeyPairSync` ('ec', 'ed25519', 'rsa'). */
export function keyPair(type, options = {}) {
  const der = generateKeyPairSync(type, {
    ...options,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  }).privateKey;
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
