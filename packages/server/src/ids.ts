/**
 * Type-prefixed identifiers (`cli_…`, `usr_…`, `key_…`, `req_…`): 128 random bits in base62-ish
 * base64url without padding. An id is never a secret, and a secret is never used as an id.
 */
import { createHash, randomBytes } from 'node:crypto';
import { formatSecret, type SecretKind } from '@tessera/protocol';

export type IdPrefix = 'cli' | 'usr' | 'key' | 'req' | 'ses' | 'fam' | 'jti' | 'kid';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

/** Mints a new secret of `kind` (DESIGN §3): 256 random bits, prefix and checksum. */
export function mintSecret(kind: SecretKind): string {
  return formatSecret(kind, randomBytes(32));
}

/** SHA-256 of a secret, base64url: the only form in which a minted secret is stored or looked up. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}
