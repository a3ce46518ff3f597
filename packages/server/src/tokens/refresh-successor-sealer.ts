/**
 * The refresh-token reuse grace (RFC 9700 §4.14.2) returns the SAME successor to a client that
 * presents its old refresh token again moments after a rotation whose response it never got.
 * Refresh tokens are stored hashed, so the successor is kept retrievable only this way: sealed
 * (AES-256-GCM) under a key derived from the master key, bound to the old token's hash, and kept by
 * the store for the grace window only.
 */
import { hkdfSync } from 'node:crypto';
import { seal, unseal } from '../keys/seal.js';

const INFO = 'tessera refresh successor v1';

export interface SuccessorSealer {
  /** Seals `successor` for the row of the token it replaces (`oldHash`). */
  seal(oldHash: string, successor: string): string;
  /** Opens what {@link SuccessorSealer.seal} produced for the same `oldHash`; throws otherwise. */
  open(oldHash: string, sealed: string): string;
}

export function createSuccessorSealer(masterKey: Buffer): SuccessorSealer {
  // A key of its own (HKDF), so nothing sealed here opens anywhere else the master key is used.
  const key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), INFO, 32));
  const context = (oldHash: string) => `${INFO}:${oldHash}`;
  return {
    seal: (oldHash, successor) => seal(key, successor, context(oldHash)),
    open: (oldHash, sealed) => unseal(key, sealed, context(oldHash)),
  };
}
