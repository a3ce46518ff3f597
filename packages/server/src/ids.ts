/**
 * Type-prefixed identifiers (`cli_…`, `usr_…`, `key_…`, `req_…`): 128 random bits in base62-ish
 * base64url without padding. An id is never a secret, and a secret is never used as an id.
 */
import { hash, randomBytes, randomFillSync } from 'node:crypto';
import { formatSecret, type SecretKind } from '@tessera/protocol';

export type IdPrefix =
  | 'cli'
  | 'usr'
  | 'key'
  | 'req'
  | 'ses'
  | 'fam'
  | 'jti'
  | 'kid'
  | 'adt'
  | 'dev'
  | 'pk'
  | 'ssf';

// Ids are minted on the hot path (a jti per token, an id per request): drawing 16 bytes from a
// pooled buffer filled by the same CSPRNG costs a fraction of a randomBytes() call each (as Node's
// own randomUUID does). Secrets never come from this pool: mintSecret() draws its own bytes.
const POOL_SIZE = 16 * 512;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

/** 16 fresh random bytes, base64url (22 characters). */
export function randomToken16(): string {
  if (offset + 16 > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const token = pool.toString('base64url', offset, offset + 16);
  offset += 16;
  return token;
}

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomToken16()}`;
}

/** Mints a new secret of `kind` (DESIGN §3): 256 random bits, prefix and checksum. */
export function mintSecret(kind: SecretKind): string {
  return formatSecret(kind, randomBytes(32));
}

/**
 * SHA-256 of a secret, base64url: the only form in which a minted secret is stored or looked up.
 * One-shot `crypto.hash` (no Hash object per call): it runs on every credential check.
 */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'base64url');
}
