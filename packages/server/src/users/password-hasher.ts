/**
 * Password hashing for human-chosen passwords only (DESIGN §3): argon2id with the OWASP Password
 * Storage Cheat Sheet parameters (m = 19 MiB, t = 2, p = 1). Minted secrets use SHA-256 instead.
 */
import { type Algorithm, hash, verify } from '@node-rs/argon2';

/** `Algorithm.Argon2id` (a const enum, which isolated modules cannot read from a declaration). */
const ARGON2ID = 2 as Algorithm;

const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** True when `password` matches `encoded`; false for a mismatch or a malformed hash. */
  verify(encoded: string, password: string): Promise<boolean>;
  /**
   * Spends the same time as a real verification against a fixed dummy hash, so an unknown username
   * answers no faster than a wrong password (no user enumeration by timing).
   */
  verifyDummy(password: string): Promise<void>;
  /**
   * True while a verification asked now would be refused at once (a bounded hasher whose running
   * and waiting checks are all taken): a sign-in can then be refused before any other work.
   */
  full?(): boolean;
}

export function createPasswordHasher(): PasswordHasher {
  let dummy: Promise<string> | undefined;
  return {
    hash(password) {
      return hash(password, OPTIONS);
    },
    async verify(encoded, password) {
      try {
        return await verify(encoded, password);
      } catch {
        return false;
      }
    },
    async verifyDummy(password) {
      dummy ??= hash('tessera-dummy-password-for-timing', OPTIONS);
      await verify(await dummy, password).catch(() => false);
    },
  };
}
