import { createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openAesGcm, sealAesGcm } from './aead.js';

describe('AES-256-GCM sealing (one format for the server and the BFF)', () => {
  const key = randomBytes(32);

  it('seals to v1.<iv>.<ciphertext>.<tag> that plain node:crypto opens (NIST SP 800-38D, 96-bit IV)', () => {
    const sealed = sealAesGcm(key, 'the secret', 'row-1');
    const [version, iv, ciphertext, tag] = sealed.split('.');
    expect(version).toBe('v1');
    expect(Buffer.from(iv ?? '', 'base64url')).toHaveLength(12);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv ?? '', 'base64url'));
    decipher.setAAD(Buffer.from('row-1'));
    decipher.setAuthTag(Buffer.from(tag ?? '', 'base64url'));
    const plain = Buffer.concat([
      decipher.update(Buffer.from(ciphertext ?? '', 'base64url')),
      decipher.final(),
    ]);
    expect(plain.toString('utf8')).toBe('the secret');
    expect(openAesGcm(key, sealed, 'row-1')).toBe('the secret');
    expect(sealAesGcm(key, 'the secret', 'row-1')).not.toBe(sealed);
  });

  it('does not open under other associated data, another key, altered parts or another format', () => {
    const sealed = sealAesGcm(key, 'the secret', 'row-1');
    const [, iv, ciphertext, tag] = sealed.split('.');
    const flipped = Buffer.from(ciphertext ?? '', 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(openAesGcm(key, sealed, 'row-2')).toBeUndefined();
    expect(openAesGcm(randomBytes(32), sealed, 'row-1')).toBeUndefined();
    expect(openAesGcm(key, `v1.${iv}.${flipped.toString('base64url')}.${tag}`, 'row-1')).toBeUndefined();
    for (const bad of ['', 'v1', 'v1.a.b', `v2.${iv}.${ciphertext}.${tag}`, `${sealed}.x`]) {
      expect(openAesGcm(key, bad, 'row-1'), bad).toBeUndefined();
    }
  });

  it('NIST SP 800-38D §8.2.2: a fresh random IV per seal, never one seen before, across refills of the IV pool', () => {
    const ivs = new Set<string>();
    // 1,000 seals: several refills of the pool (256 IVs each), each value sealed and opened.
    for (let n = 0; n < 1000; n += 1) {
      const sealed = sealAesGcm(key, `secret ${n}`, `row-${n}`);
      const iv = sealed.split('.')[1] ?? '';
      expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
      expect(ivs.has(iv), `IV repeated at seal ${n}`).toBe(false);
      ivs.add(iv);
      expect(openAesGcm(key, sealed, `row-${n}`)).toBe(`secret ${n}`);
    }
  });
});
