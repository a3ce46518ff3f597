/** `Authorization: Bearer` parsing (RFC 6750 §2.1) under fast-check, seeded and bounded (issue 12 item 8). */
import { isOAuthError } from '@tessera/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAuthorizationHeader } from './bearer.js';

const RUNS = { seed: 0x7e55e4a, numRuns: 200 } as const;
const B64TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/';

describe('RFC 6750 §2.1 — Authorization header parsing', () => {
  it('any header value: a token, undefined (another scheme), or invalid_request; nothing else', () => {
    const header = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((s) => `Bearer ${s}`),
      fc.string({ unit: fc.constantFrom('B', 'e', 'a', 'r', ' ', '\t', '=', 'x', '.', ','), maxLength: 30 }),
    );
    fc.assert(
      fc.property(header, (value) => {
        try {
          const token = parseAuthorizationHeader(value);
          expect(token === undefined || (typeof token === 'string' && token.length > 0)).toBe(true);
        } catch (error) {
          expect(isOAuthError(error) && error.code === 'invalid_request').toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('round-trips any b64token, with the scheme in any case', () => {
    const token = fc
      .string({ unit: fc.constantFrom(...B64TOKEN_CHARS), minLength: 1, maxLength: 60 })
      .chain((body) => fc.string({ unit: fc.constant('='), maxLength: 2 }).map((pad) => body + pad));
    fc.assert(
      fc.property(token, fc.constantFrom('Bearer', 'bearer', 'BEARER'), (value, scheme) => {
        expect(parseAuthorizationHeader(`${scheme} ${value}`)).toBe(value);
      }),
      RUNS,
    );
  });
});
