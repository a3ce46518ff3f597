import { isOAuthError } from '@tessera/protocol';
import { describe, expect, it } from 'vitest';
import { createBoundedHasher } from './bounded-hasher.js';
import type { PasswordHasher } from './password-hasher.js';

/** A hasher whose verifications finish only when the test says so. */
function heldHasher() {
  const pending: Array<(ok: boolean) => void> = [];
  let started = 0;
  const hasher: PasswordHasher = {
    hash: async (password) => `hashed:${password}`,
    verify: () => {
      started += 1;
      return new Promise<boolean>((resolve) => pending.push(resolve));
    },
    verifyDummy: async () => {
      started += 1;
      await new Promise<boolean>((resolve) => pending.push(resolve));
    },
  };
  return { hasher, pending, started: () => started };
}

function settled<T>(promise: Promise<T>): { value: () => T | undefined; error: () => unknown } {
  let value: T | undefined;
  let error: unknown;
  promise.then(
    (v) => {
      value = v;
    },
    (e: unknown) => {
      error = e;
    },
  );
  return { value: () => value, error: () => error };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('bounded password verification', () => {
  it('issue 12 item 1 — runs at most `concurrency` argon2 checks, queues `queue`, refuses the rest with 503 + Retry-After', async () => {
    const held = heldHasher();
    const bounded = createBoundedHasher(held.hasher, { concurrency: 2, queue: 3 });
    const calls = Array.from({ length: 7 }, (_, i) =>
      settled<boolean | undefined>(
        i % 2 === 0 ? bounded.verify('h', 'p') : bounded.verifyDummy('p').then(() => undefined),
      ),
    );
    await tick();
    expect(held.started()).toBe(2);
    const refused = calls.map((c) => c.error()).filter((e) => e !== undefined);
    expect(refused).toHaveLength(2);
    for (const error of refused) {
      expect(isOAuthError(error) && error.code === 'temporarily_unavailable').toBe(true);
      expect(isOAuthError(error) ? [error.status, error.retryAfter] : []).toEqual([503, 1]);
    }
    // Each finished check lets exactly one waiting check start.
    for (let done = 1; done <= 5; done++) {
      held.pending[done - 1]?.(true);
      await tick();
      expect(held.started()).toBe(Math.min(2 + done, 5));
    }
    expect(calls.filter((c) => c.error() === undefined)).toHaveLength(5);
    // Everything has drained: the bound is free again.
    const again = settled(bounded.verify('h', 'p'));
    await tick();
    expect(held.started()).toBe(6);
    expect(again.error()).toBeUndefined();
  });

  it('hashing is not bounded (only authenticated callers reach it)', async () => {
    const held = heldHasher();
    const bounded = createBoundedHasher(held.hasher, { concurrency: 1, queue: 0 });
    void bounded.verify('h', 'p');
    await expect(bounded.hash('pw')).resolves.toBe('hashed:pw');
  });
});
