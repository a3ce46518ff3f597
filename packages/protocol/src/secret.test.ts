import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatSecret, parseSecret, secretKindOf, secretPrefix } from './secret.js';

describe('secret format (DESIGN §3)', () => {
  it('formats 256 random bits as tsr_<kind>_ + 43 base62 characters + a 6-character checksum', () => {
    const secret = formatSecret('key', randomBytes(32));
    expect(secret).toMatch(/^tsr_key_[0-9A-Za-z]{49}$/);
    expect(parseSecret(secret)).toEqual({ kind: 'key', start: secret.slice(8, 14) });
    expect(parseSecret(secret, 'key')).toBeDefined();
    expect(secretKindOf(secret)).toBe('key');
    expect(secretPrefix('cs')).toBe('tsr_cs_');
  });

  it('the same bytes always give the same secret; all-zero and all-0xff bytes still have full length', () => {
    const bytes = randomBytes(32);
    expect(formatSecret('at', bytes)).toBe(formatSecret('at', bytes));
    expect(parseSecret(formatSecret('at', new Uint8Array(32)))).toBeDefined();
    expect(parseSecret(formatSecret('at', new Uint8Array(32).fill(255)))).toBeDefined();
  });

  it('rejects every single-character typo through the checksum, without any lookup', () => {
    const secret = formatSecret('cs', randomBytes(32));
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    for (let i = 7; i < secret.length; i++) {
      const original = secret[i] ?? '';
      const replacement = alphabet[(alphabet.indexOf(original) + 1) % alphabet.length] ?? '0';
      const typo = secret.slice(0, i) + replacement + secret.slice(i + 1);
      expect(parseSecret(typo), `typo at ${i}`).toBeUndefined();
    }
  });

  it('rejects the wrong kind, unknown kinds, wrong lengths and foreign characters', () => {
    const secret = formatSecret('rt', randomBytes(32));
    expect(parseSecret(secret, 'key')).toBeUndefined();
    expect(parseSecret(secret.replace('tsr_rt_', 'tsr_zz_'))).toBeUndefined();
    expect(parseSecret(secret.slice(0, -1))).toBeUndefined();
    expect(parseSecret(`${secret}0`)).toBeUndefined();
    expect(parseSecret(`${secret.slice(0, 10)}-${secret.slice(11)}`)).toBeUndefined();
    expect(parseSecret('')).toBeUndefined();
    expect(parseSecret('tsr_')).toBeUndefined();
    expect(secretKindOf('eyJhbGciOi')).toBeUndefined();
    expect(() => formatSecret('key', randomBytes(16))).toThrow(RangeError);
  });

  it('the body is the base62 value of the 32 bytes read as one big-endian number, 43 digits with leading zeros', () => {
    // The conversion by definition (BigInt), against the one formatSecret uses.
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    const reference = (bytes: Uint8Array): string => {
      let value = 0n;
      for (const byte of bytes) {
        value = (value << 8n) | BigInt(byte);
      }
      let out = '';
      for (let i = 0; i < 43; i++) {
        out = (alphabet[Number(value % 62n)] ?? '') + out;
        value /= 62n;
      }
      return out;
    };
    const inputs: Uint8Array[] = [new Uint8Array(32), new Uint8Array(32).fill(255)];
    for (let bit = 0; bit < 256; bit++) {
      const one = new Uint8Array(32);
      one[31 - Math.floor(bit / 8)] = 1 << (bit % 8);
      inputs.push(one);
    }
    for (let n = 0; n < 2000; n++) {
      inputs.push(randomBytes(32));
    }
    for (const bytes of inputs) {
      const secret = formatSecret('rt', bytes);
      expect(secret.slice('tsr_rt_'.length, -6), Buffer.from(bytes).toString('hex')).toBe(reference(bytes));
    }
  });
});
