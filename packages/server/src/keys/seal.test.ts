import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seal, UnsealError, unseal } from './seal.js';

describe('AES-256-GCM sealing of private keys', () => {
  const key = randomBytes(32);

  it('round-trips, with a fresh IV each time', () => {
    const a = seal(key, '{"d":"secret"}', 'kid-1');
    const b = seal(key, '{"d":"secret"}', 'kid-1');
    expect(a).not.toBe(b);
    expect(a).not.toContain('secret');
    expect(unseal(key, a, 'kid-1')).toBe('{"d":"secret"}');
  });

  it('a wrong master key gives a clear UnsealError, never garbage', () => {
    const sealed = seal(key, 'payload', 'kid-1');
    expect(() => unseal(randomBytes(32), sealed, 'kid-1')).toThrow(UnsealError);
    expect(() => unseal(randomBytes(32), sealed, 'kid-1')).toThrow(/wrong master key/);
  });

  it('a sealed value moved to another key id, or tampered with, does not open', () => {
    const sealed = seal(key, 'payload', 'kid-1');
    expect(() => unseal(key, sealed, 'kid-2')).toThrow(UnsealError);
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[2] ?? '', 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() =>
      unseal(key, [parts[0], parts[1], flipped.toString('base64url'), parts[3]].join('.'), 'kid-1'),
    ).toThrow(UnsealError);
    expect(() => unseal(key, 'v2.a.b.c', 'kid-1')).toThrow(/unknown format/);
  });
});
