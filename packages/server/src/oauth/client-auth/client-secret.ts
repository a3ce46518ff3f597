/**
 * The client-secret check shared by `client_secret_basic` and `client_secret_post` (DESIGN §3):
 * shape and checksum first (garbage never reaches a lookup), then one SHA-256 and a constant-time
 * compare against each unexpired stored hash. An unknown client does the same hashing and comparing
 * against a dummy hash, so it costs the same time as a wrong secret and gets the same answer.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseSecret } from '@tessera/protocol';
import type { ClientSecretRecord } from '../../store/ports.js';

const DUMMY = randomBytes(32);

/** Stored hashes decoded once per secret record (records are replaced, never mutated, on change). */
const decoded = new WeakMap<ClientSecretRecord, Buffer>();

function digestOf(record: ClientSecretRecord): Buffer {
  let digest = decoded.get(record);
  if (digest === undefined) {
    digest = Buffer.from(record.hash, 'base64url');
    decoded.set(record, digest);
  }
  return digest;
}

/** True when `secret` is well-formed (RFC-free typo check, no lookup needed). */
export function isWellFormedClientSecret(secret: string): boolean {
  return parseSecret(secret, 'cs') !== undefined;
}

/**
 * True when `secret` matches one of `secrets` that has not expired at `now`. Pass `undefined` for an
 * unknown client: the work done is the same.
 */
export function matchesClientSecret(
  secrets: readonly ClientSecretRecord[] | undefined,
  secret: string,
  now: number,
): boolean {
  const presented = hash('sha256', secret, 'buffer');
  let match = false;
  let compared = 0;
  // No early exit: every unexpired secret is compared, so the time does not tell which one matched.
  for (const record of secrets ?? []) {
    if (record.expiresAt !== null && record.expiresAt <= now) {
      continue;
    }
    compared += 1;
    const candidate = digestOf(record);
    if (candidate.length === presented.length && timingSafeEqual(candidate, presented)) {
      match = true;
    }
  }
  if (compared === 0) {
    // An unknown client, or none unexpired: the same hash and compare against a dummy, never a match.
    timingSafeEqual(DUMMY, presented);
  }
  return match;
}
