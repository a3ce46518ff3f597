import { describe, expect, it } from 'vitest';
import { createSessionCipher, parseSessionKey } from './session-cipher.js';

const key = parseSessionKey('11'.repeat(32));

describe('session cipher (AES-256-GCM)', () => {
  it('round-trips, with a fresh IV on every seal', () => {
    const cipher = createSessionCipher(key);
    const a = cipher.seal('{"tokens":"secret"}', 'k1');
    const b = cipher.seal('{"tokens":"secret"}', 'k1');
    expect(a).not.toBe(b);
    expect(a).not.toContain('secret');
    expect(cipher.open(a, 'k1')).toBe('{"tokens":"secret"}');
  });

  it('NIST SP 800-38D — a tampered record, another key, or another storage key (AAD) does not open', () => {
    const cipher = createSessionCipher(key);
    const sealed = cipher.seal('hello', 'k1');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[2] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    expect(
      cipher.open([parts[0], parts[1], body.toString('base64url'), parts[3]].join('.'), 'k1'),
    ).toBeUndefined();
    expect(createSessionCipher(parseSessionKey('22'.repeat(32))).open(sealed, 'k1')).toBeUndefined();
    expect(cipher.open(sealed, 'k2')).toBeUndefined();
    expect(cipher.open('garbage', 'k1')).toBeUndefined();
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => parseSessionKey('abcd')).toThrow(/32 bytes/);
    expect(parseSessionKey(Buffer.alloc(32).toString('base64url'))).toHaveLength(32);
  });
});
