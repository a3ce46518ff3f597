/**
 * The format of every secret Tessera mints (DESIGN §3): `tsr_<kind>_<body><checksum>`.
 *
 * - `body` is 43 base62 characters encoding 256 random bits;
 * - `checksum` is 6 base62 characters of the CRC-32 of everything before it.
 *
 * The prefix lets secret scanners find leaked Tessera secrets; the checksum lets any verifier reject a
 * typo or garbage without a database lookup. Base62 keeps the secret one double-clickable word.
 */

/** Kinds of minted secrets, by prefix. */
export const SECRET_KINDS = {
  /** Client secret */
  cs: 'client_secret',
  /** Opaque access token */
  at: 'access_token',
  /** Refresh token */
  rt: 'refresh_token',
  /** API key */
  key: 'api_key',
  /** Authorization code */
  ac: 'authorization_code',
  /** Admin API credential */
  adm: 'admin_token',
  /** Device code (RFC 8628 §3.2) */
  dc: 'device_code',
  /** RFC 7592 registration access token (manages one dynamically registered client) */
  rat: 'registration_access_token',
} as const;

export type SecretKind = keyof typeof SECRET_KINDS;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
const BODY_RE = /^[0-9A-Za-z]+$/;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3) of an ASCII string: a typo check, not a security measure. */
function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    crc = (CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function toBase62(value: bigint, length: number): string {
  let out = '';
  let rest = value;
  while (rest > 0n) {
    out = ALPHABET[Number(rest % 62n)] + out;
    rest /= 62n;
  }
  return out.padStart(length, '0');
}

/** The 6-character checksum of a secret's head (a 32-bit CRC fits a double: no BigInt needed). */
function checksumOf(head: string): string {
  let rest = crc32(head);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/** The prefix of a kind, e.g. `tsr_key_`. */
export function secretPrefix(kind: SecretKind): string {
  return `tsr_${kind}_`;
}

/**
 * Formats 32 random bytes as a secret of the given kind. The caller supplies the randomness
 * (`crypto.randomBytes(32)` on the server), so this module stays free of I/O.
 *
 * @example
 * ```ts
 * const key = formatSecret('key', randomBytes(32)); // 'tsr_key_…'
 * ```
 */
export function formatSecret(kind: SecretKind, random: Uint8Array): string {
  if (random.length !== 32) {
    throw new RangeError('A secret needs exactly 32 random bytes');
  }
  let value = 0n;
  for (const byte of random) {
    value = (value << 8n) | BigInt(byte);
  }
  const head = secretPrefix(kind) + toBase62(value, BODY_LENGTH);
  return head + checksumOf(head);
}

/** What {@link parseSecret} learns from a well-formed secret. */
export interface ParsedSecret {
  kind: SecretKind;
  /** The first characters after the prefix: safe to display and log, useless to an attacker. */
  start: string;
}

/**
 * Checks a presented secret's shape and checksum without any lookup. Returns `undefined` for
 * anything that is not a well-formed Tessera secret (of the expected kind when one is given).
 */
export function parseSecret(value: string, expected?: SecretKind): ParsedSecret | undefined {
  if (!value.startsWith('tsr_')) {
    return undefined;
  }
  const end = value.indexOf('_', 4);
  if (end < 0) {
    return undefined;
  }
  const kind = value.slice(4, end);
  if (!Object.hasOwn(SECRET_KINDS, kind) || (expected !== undefined && kind !== expected)) {
    return undefined;
  }
  const rest = value.slice(end + 1);
  if (rest.length !== BODY_LENGTH + CHECKSUM_LENGTH || !BODY_RE.test(rest)) {
    return undefined;
  }
  const head = value.slice(0, value.length - CHECKSUM_LENGTH);
  if (checksumOf(head) !== value.slice(-CHECKSUM_LENGTH)) {
    return undefined;
  }
  return { kind: kind as SecretKind, start: rest.slice(0, 6) };
}

/** The kind a string claims by its prefix (no checksum check), e.g. to route introspection. */
export function secretKindOf(value: string): SecretKind | undefined {
  const match = /^tsr_([a-z]+)_/.exec(value);
  const kind = match?.[1];
  return kind !== undefined && Object.hasOwn(SECRET_KINDS, kind) ? (kind as SecretKind) : undefined;
}
