/**
 * A bound on password verification: argon2id costs tens of ms of a core and 19 MiB of memory per
 * check, so a flood of login posts must not queue without limit. At most `concurrency`
 * verifications run at once and at most `queue` wait; past that a verification is refused at once
 * with `temporarily_unavailable` (503) and `Retry-After`, before any argon2 work or memory is spent.
 * A verification that has waited `maxWait` ms without a turn is refused the same way: how long the
 * queue takes to drain depends on how much CPU argon2 gets, so a count alone does not keep the wait
 * short on a busy machine, and an answer given late is worse than a prompt 503.
 * Hashing (admin and self-service password changes) is not bounded: it needs an authenticated caller.
 */
import { availableParallelism } from 'node:os';
import { OAuthError } from '@tessera/protocol';
import type { PasswordHasher } from './password-hasher.js';

export interface VerificationBound {
  /** Verifications running at once (libuv's thread pool has 4 threads by default). */
  concurrency: number;
  /** Verifications waiting for a turn; 0: refuse whenever all are busy. */
  queue: number;
  /** Longest wait for a turn, ms; then the verification is refused (503) without being run. */
  maxWait: number;
}

/** Seconds a refused caller is asked to wait. */
const RETRY_AFTER = 1;

/** libuv's default thread pool: argon2 runs there, and more at once would only queue in it. */
const THREAD_POOL = 4;

/**
 * The default for `login.verifyConcurrency`: the cores this process may run on, at most the thread
 * pool's 4. More argon2 threads than cores do not verify faster; they take CPU from the event loop,
 * which then answers everyone (the refusals under a flood included) late.
 */
export function defaultVerifyConcurrency(cores = availableParallelism()): number {
  return Math.max(1, Math.min(THREAD_POOL, cores));
}

function busy(): OAuthError {
  return OAuthError.temporarilyUnavailable('Too many sign-ins at once; retry shortly', {
    retryAfter: RETRY_AFTER,
  });
}

interface Waiter {
  admit: () => void;
  timer: NodeJS.Timeout;
}

export function createBoundedHasher(inner: PasswordHasher, bound: VerificationBound): PasswordHasher {
  let running = 0;
  const waiting: Waiter[] = [];

  function wait(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        admit: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(() => {
          const index = waiting.indexOf(waiter);
          if (index >= 0) {
            waiting.splice(index, 1);
            reject(busy());
          }
        }, bound.maxWait),
      };
      waiting.push(waiter);
    });
  }

  async function turn<T>(work: () => Promise<T>): Promise<T> {
    if (running >= bound.concurrency) {
      if (waiting.length >= bound.queue) {
        throw busy();
      }
      // The finishing verification hands its slot straight to the next in line.
      await wait();
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
        next.admit();
      }
    }
  }

  return {
    hash: (password) => inner.hash(password),
    verify: (encoded, password) => turn(() => inner.verify(encoded, password)),
    verifyDummy: (password) => turn(() => inner.verifyDummy(password)),
    full: () => running >= bound.concurrency && waiting.length >= bound.queue,
  };
}
