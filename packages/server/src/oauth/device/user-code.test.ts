import { describe, expect, it } from 'vitest';
import { generateUserCode, normalizeUserCode, USER_CODE_ALPHABET } from './user-code.js';

describe('user codes (RFC 8628 §6.1)', () => {
  it('RFC 8628 §6.1 — eight characters of BCDFGHJKLMNPQRSTVWXZ shown as XXXX-XXXX', () => {
    for (let i = 0; i < 200; i++) {
      const code = generateUserCode();
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    }
    expect(USER_CODE_ALPHABET).toHaveLength(20);
  });

  it('RFC 8628 §6.1 — input is case-insensitive and ignores dashes and spaces', () => {
    expect(normalizeUserCode('bcdf-ghjk')).toBe('BCDFGHJK');
    expect(normalizeUserCode(' BCDF GHJK ')).toBe('BCDFGHJK');
    expect(normalizeUserCode('bcdfghjk')).toBe('BCDFGHJK');
  });

  it('refuses what cannot be a code: vowels, digits, wrong length, huge input', () => {
    expect(normalizeUserCode('ABCD-EFGH')).toBeUndefined();
    expect(normalizeUserCode('BCDF-GHJ1')).toBeUndefined();
    expect(normalizeUserCode('BCDF-GHJ')).toBeUndefined();
    expect(normalizeUserCode('B'.repeat(10_000))).toBeUndefined();
  });
});
