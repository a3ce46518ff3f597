/**
 * A bound on password verification: argon2id costs about 60 ms of a core and 19 MiB of memory per
 * check, so a flood of login posts must not queue without limit. At most `concurrency`
 * verifications run at once and at most `queue` wait; past that a verification is refused at once
 * with `temporarily_unavailable` (503) and `Retry-After`, before any argon2 work or memory is spent.
 * Hashing (admin and self-service password changes) is not bounded: it needs an authenticated caller.
 */
import { OAuthError } from '@tessera/protocol';
import type { PasswordHasher } from './password-hasher.js';

export interface VerificationBound {
  /** Verifications running at once (libuv's thread pool has 4 threads by default). */
  concurrency: number;
  /** Verifications waiting for a turn; 0: refuse whenever all are busy. */
  queue: number;
}

/** Seconds a refused caller is asked to wait. */
const RETRY_AFTER = 1;

export function createBoundedHasher(inner: PasswordHasher, bound: VerificationBound): PasswordHasher {
  let running = 0;
  const waiting: Array<() => void> = [];

  async function turn<T>(work: () => Promise<T>): Promise<T> {
    if (running >= bound.concurrency) {
      if (waiting.length >= bound.queue) {
        throw OAuthError.temporarilyUnavailable('Too many sign-ins at once; retry shortly', {
          retryAfter: RETRY_AFTER,
        });
      }
      // The finishing verification hands its slot straight to the next in line.
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running += 1;
    }
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next === undefined) {
        running -= 1;
      } else {
        next();
      }
    }
  }

  return {
    hash: (password) => inner.hash(password),
    verify: (encoded, password) => turn(() => inner.verify(encoded, password)),
    verifyDummy: (password) => turn(() => inner.verifyDummy(password)),
  };
}
