/**
 * User codes (RFC 8628 §6.1): eight characters from an alphabet of twenty consonants, no vowels (no
 * words), no digits or look-alikes, shown as `XXXX-XXXX`. 20^8 ≈ 2^34.6 codes; with the per-browser
 * throttle and the per-code lock (§5.1) guessing a live one is out of reach. Input is normalised:
 * case, dashes, spaces and other separators are ignored.
 */
import { randomInt } from 'node:crypto';

/** RFC 8628 §6.1: "BCDFGHJKLMNPQRSTVWXZ". */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;
const HALF = USER_CODE_LENGTH / 2;

/** A fresh user code in its display form, `XXXX-XXXX` (uniform: `randomInt` is unbiased). */
export function generateUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) {
    code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  }
  return formatUserCode(code);
}

export function formatUserCode(normalised: string): string {
  return `${normalised.slice(0, HALF)}-${normalised.slice(HALF)}`;
}

/**
 * What the person typed as a normalised code (`BCDFGHJK`), or undefined when it cannot be one: any
 * case, with or without dashes and spaces (RFC 8628 §6.1: "the server SHOULD ignore any characters
 * like punctuation that are not in the user-code character set").
 */
export function normalizeUserCode(input: string): string | undefined {
  if (input.length > 64) {
    return undefined;
  }
  const code = input.toUpperCase().replace(/[\s\-_.]/g, '');
  if (code.length !== USER_CODE_LENGTH) {
    return undefined;
  }
  for (const char of code) {
    if (!USER_CODE_ALPHABET.includes(char)) {
      return undefined;
    }
  }
  return code;
}

/** The half a request is looked up by; the whole code is then compared by hash. */
export function userCodePrefix(normalised: string): string {
  return normalised.slice(0, HALF);
}
