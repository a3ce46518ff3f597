import { compactVerify, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import type { SigningKey } from '../keys/keyring.js';
import { generateKeyPairFromDer } from '../keys/keyring.js';
import type { SigningAlgorithm } from '../store/ports.js';
import { createCompactJwsSigner } from './compact-jws.js';

function keyOf(alg: SigningAlgorithm): SigningKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairFromDer('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairFromDer('ed25519')
        : generateKeyPairFromDer('rsa', { modulusLength: 2048 });
  return { kid: `k-${alg}`, alg, ...pair };
}

const KEYS = (['ES256', 'EdDSA', 'RS256'] as const).map(keyOf);

/** Payloads around the signer's scratch buffer (16 KiB: ~4,090 UTF-16 units of JSON) and beyond. */
const PAYLOADS: unknown[] = [
  { sub: 'a', n: 1 },
  { name: 'Zoë 😀 \u2028 "quoted" \\ back', ja: '東京' },
  ...[4_000, 4_060, 4_070, 4_080, 4_090, 4_100, 5_000, 70_000].map((size) => ({ pad: 'x'.repeat(size) })),
  ...[1_300, 1_400, 2_000, 4_200, 5_000, 30_000].map((size) => ({ wide: '€'.repeat(size) })),
];

describe('compact JWS signer (RFC 7515 §7.1)', () => {
  for (const key of KEYS) {
    it(`${key.alg}: every payload verifies and reads back byte for byte, as an object or as its JSON`, async () => {
      const sign = createCompactJwsSigner('at+jwt');
      for (const payload of PAYLOADS) {
        const json = JSON.stringify(payload);
        for (const token of [sign(key, payload as Record<string, unknown>), sign(key, json)]) {
          const verified = await compactVerify(token, key.publicKey);
          expect(new TextDecoder().decode(verified.payload)).toBe(json);
          expect(decodeProtectedHeader(token)).toEqual({ alg: key.alg, kid: key.kid, typ: 'at+jwt' });
        }
      }
    });
  }

  it('a long payload signed after a short one (and back) still verifies: nothing of one is left in the next', async () => {
    const sign = createCompactJwsSigner('JWT');
    const [key] = KEYS;
    if (key === undefined) {
      throw new Error('no key');
    }
    const order = ['long', 'short', 'long', 'short'].map((kind) =>
      kind === 'long' ? { pad: 'y'.repeat(3_000), tail: 'é' } : { s: 1 },
    );
    for (const payload of order) {
      const token = sign(key, payload);
      const verified = await compactVerify(token, key.publicKey);
      expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual(payload);
    }
  });
});
