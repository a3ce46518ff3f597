import { OAuthError } from '@tessera/protocol';
import { describe, expect, it } from 'vitest';
import { formatRateLimit, parseRateLimit } from './rate-limit-spec.js';

describe('rate-limit spec', () => {
  it('parses LIMIT/WINDOW with a unit, an implicit 1 and bare seconds', () => {
    expect(parseRateLimit('100/1m')).toEqual({ limit: 100, window: 60, kind: 'fixed' });
    expect(parseRateLimit('10/s', 'sliding')).toEqual({ limit: 10, window: 1, kind: 'sliding' });
    expect(parseRateLimit('5000/1d')).toEqual({ limit: 5000, window: 86_400, kind: 'fixed' });
    expect(parseRateLimit(' 7 / 90 ')).toEqual({ limit: 7, window: 90, kind: 'fixed' });
    expect(parseRateLimit('3/2h')).toEqual({ limit: 3, window: 7200, kind: 'fixed' });
  });

  it('refuses malformed or out-of-range specs with invalid_request', () => {
    for (const bad of [
      '',
      '100',
      '100/',
      '/1m',
      '0/1m',
      '100/0s',
      '100/1w',
      '-1/1m',
      '1.5/1m',
      '1/31d',
      'abc',
    ]) {
      expect(() => parseRateLimit(bad), bad).toThrow(OAuthError);
    }
  });

  it('formats back to the shortest exact form', () => {
    expect(formatRateLimit({ limit: 100, window: 60 })).toBe('100/1m');
    expect(formatRateLimit({ limit: 1, window: 90 })).toBe('1/90s');
    expect(formatRateLimit({ limit: 2, window: 86_400 })).toBe('2/1d');
    expect(formatRateLimit({ limit: 2, window: 7200 })).toBe('2/2h');
  });
});
