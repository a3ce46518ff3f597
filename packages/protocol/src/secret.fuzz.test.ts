/**
 * Property tests of the `tsr_` secret format (issue 12 item 8): seeded and bounded, so a failure
 * reproduces with the same seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSecret, parseSecret, SECRET_KINDS, type SecretKind, secretKindOf } from './secret.js';

const RUNS = { seed: 0x7e55e4a, numRuns: 200 } as const;
const kinds = Object.keys(SECRET_KINDS) as SecretKind[];
const kind = fc.constantFrom(...kinds);
const random = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** Strings that look like secrets (the right prefix, a kind, the right length) as well as any string. */
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc
    .tuple(kind, fc.string({ unit: 'binary-ascii', minLength: 40, maxLength: 60 }))
    .map(([k, s]) => `tsr_${k}_${s}`),
  fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 60 })).map(([k, s]) => `tsr_${k}_${s}`),
);

describe('tsr_ secrets under fast-check (issue 12 item 8)', () => {
  it('parseSecret and secretKindOf never throw, whatever the input', () => {
    fc.assert(
      fc.property(hostile, fc.option(kind, { nil: undefined }), (value, expected) => {
        const parsed = parseSecret(value, expected);
        expect(parsed === undefined || kinds.includes(parsed.kind)).toBe(true);
        const claimed = secretKindOf(value);
        expect(claimed === undefined || kinds.includes(claimed)).toBe(true);
      }),
      RUNS,
    );
  });

  it('round-trips: every formatted secret parses back to its kind and display start', () => {
    fc.assert(
      fc.property(kind, random, (k, bytes) => {
        const secret = formatSecret(k, bytes);
        expect(parseSecret(secret)).toEqual({ kind: k, start: secret.slice(`tsr_${k}_`.length).slice(0, 6) });
        expect(parseSecret(secret, k)?.kind).toBe(k);
        expect(secretKindOf(secret)).toBe(k);
      }),
      RUNS,
    );
  });

  it('any single-character change of a valid secret is refused without a lookup (checksum)', () => {
    fc.assert(
      fc.property(
        kind,
        random,
        fc.nat(),
        fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }),
        (k, bytes, at, ch) => {
          const secret = formatSecret(k, bytes);
          const index = at % secret.length;
          fc.pre(secret[index] !== ch);
          const changed = secret.slice(0, index) + ch + secret.slice(index + 1);
          expect(parseSecret(changed)).toBeUndefined();
        },
      ),
      RUNS,
    );
  });
});
