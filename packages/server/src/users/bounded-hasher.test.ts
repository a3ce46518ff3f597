import { isOAuthError } from '@tessera/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBoundedHasher, defaultVerifyConcurrency } from './bounded-hasher.js';
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
    const bounded = createBoundedHasher(held.hasher, { concurrency: 2, queue: 3, maxWait: 60_000 });
    const calls = Array.from({ length: 7 }, (_, i) =>
      settled<boolean | undefined>(
        i % 2 === 0 ? bounded.verify('h', 'p') : bounded.verifyDummy('p').then(() => undefined),
      ),
    );
    await tick();
    expect(held.started()).toBe(2);
    expect(bounded.full?.()).toBe(true);
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
    expect(bounded.full?.()).toBe(false);
    const again = settled(bounded.verify('h', 'p'));
    await tick();
    expect(held.started()).toBe(6);
    expect(again.error()).toBeUndefined();
  });

  it('hashing is not bounded (only authenticated callers reach it)', async () => {
    const held = heldHasher();
    const bounded = createBoundedHasher(held.hasher, { concurrency: 1, queue: 0, maxWait: 60_000 });
    void bounded.verify('h', 'p');
    await expect(bounded.hash('pw')).resolves.toBe('hashed:pw');
  });

  describe('a deadline on the wait', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('a verification that waited maxWait without a turn is refused with 503 + Retry-After, never run; one admitted in time is not', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const held = heldHasher();
      const bounded = createBoundedHasher(held.hasher, { concurrency: 1, queue: 3, maxWait: 1000 });
      const first = settled(bounded.verify('h', 'p'));
      await tick();
      vi.advanceTimersByTime(600);
      const early = settled(bounded.verify('h', 'p'));
      const dummy = settled(bounded.verifyDummy('p'));
      await tick();
      vi.advanceTimersByTime(300);
      const late = settled(bounded.verify('h', 'p'));
      await tick();
      // 900 ms in: one runs, three wait, nothing refused yet.
      expect(held.started()).toBe(1);
      expect([early, dummy, late].map((c) => c.error())).toEqual([undefined, undefined, undefined]);
      // The first finishes at 950 ms: the longest waiter gets the slot, its deadline no longer applies.
      vi.advanceTimersByTime(50);
      held.pending[0]?.(true);
      await tick();
      expect(first.value()).toBe(true);
      expect(held.started()).toBe(2);
      // 1,650 ms: the dummy check has waited 1,050 ms (600 → 1,650) and is refused unrun; `late` waits on.
      vi.advanceTimersByTime(700);
      await tick();
      const refused = dummy.error();
      expect(isOAuthError(refused) ? [refused.code, refused.status, refused.retryAfter] : refused).toEqual([
        'temporarily_unavailable',
        503,
        1,
      ]);
      expect(late.error()).toBeUndefined();
      expect(early.error()).toBeUndefined();
      expect(held.started()).toBe(2);
      // 1,950 ms: `late` (queued at 900) has waited 1,050 ms: refused too, while `early` still runs.
      vi.advanceTimersByTime(300);
      await tick();
      expect(isOAuthError(late.error())).toBe(true);
      held.pending[1]?.(false);
      await tick();
      expect(early.value()).toBe(false);
      expect(held.started()).toBe(2);
      // The refused ones left the queue: the bound is whole again (three may wait behind one).
      const next = [0, 1, 2, 3].map(() => settled(bounded.verify('h', 'p')));
      await tick();
      expect(held.started()).toBe(3);
      expect(next.map((c) => c.error())).toEqual([undefined, undefined, undefined, undefined]);
    });
  });

  it('the default concurrency is the cores this process may use, at most the thread pool’s 4', () => {
    expect([1, 2, 3, 4, 8, 64].map(defaultVerifyConcurrency)).toEqual([1, 2, 3, 4, 4, 4]);
    expect(defaultVerifyConcurrency(0)).toBe(1);
  });
});
