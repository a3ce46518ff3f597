import { describe, expect, it } from 'vitest';
import type { AttemptRequest } from '../ports.js';
import { type MakeStore, T0, uid, useStore } from './fixtures.js';

export function attempt(key: string, overrides: Partial<AttemptRequest> = {}): AttemptRequest {
  return { key, now: T0, freeAttempts: 3, maxBackoff: 8, window: 3600, ...overrides };
}

export function describeAttemptStore(makeStore: MakeStore): void {
  describe('AttemptStore', () => {
    const store = useStore(makeStore);

    it('free attempts pass; from the last free one on each attempt waits 1, 2, 4 … s, capped', async () => {
      const key = uid('att');
      const take = (now: number) => store().takeAttempt(attempt(key, { now }));
      expect(await take(T0)).toEqual({ allowed: true, count: 1, backoff: 0 });
      expect(await take(T0)).toEqual({ allowed: true, count: 2, backoff: 0 });
      expect(await take(T0)).toEqual({ allowed: true, count: 3, backoff: 1 });
      expect(await take(T0)).toEqual({ allowed: false, count: 3, retryAfter: 1 });
      expect(await take(T0 + 1)).toEqual({ allowed: true, count: 4, backoff: 2 });
      expect(await take(T0 + 2)).toEqual({ allowed: false, count: 4, retryAfter: 1 });
      expect(await take(T0 + 3)).toEqual({ allowed: true, count: 5, backoff: 4 });
      expect(await take(T0 + 7)).toEqual({ allowed: true, count: 6, backoff: 8 });
      expect(await take(T0 + 15)).toEqual({ allowed: true, count: 7, backoff: 8 });
      expect(await take(T0 + 16)).toEqual({ allowed: false, count: 7, retryAfter: 7 });
    });

    it('a refused attempt changes nothing', async () => {
      const key = uid('att');
      await store().takeAttempt(attempt(key, { freeAttempts: 1 }));
      for (let i = 0; i < 5; i++) {
        expect(await store().takeAttempt(attempt(key, { freeAttempts: 1 }))).toEqual({
          allowed: false,
          count: 1,
          retryAfter: 1,
        });
      }
      expect(await store().takeAttempt(attempt(key, { freeAttempts: 1, now: T0 + 1 }))).toEqual({
        allowed: true,
        count: 2,
        backoff: 2,
      });
    });

    it('race: 20 concurrent attempts with 5 free → exactly 5 taken, the rest refused with a wait', async () => {
      const key = uid('att');
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store().takeAttempt(attempt(key, { freeAttempts: 5 }))),
      );
      const taken = results.filter((r) => r.allowed);
      expect(taken.map((r) => r.count).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
      expect(results.filter((r) => !r.allowed && r.retryAfter >= 1)).toHaveLength(15);
    });

    it('the count starts over once the window has passed', async () => {
      const key = uid('att');
      for (let i = 0; i < 3; i++) {
        await store().takeAttempt(attempt(key));
      }
      expect(await store().takeAttempt(attempt(key, { now: T0 + 3600 }))).toEqual({
        allowed: true,
        count: 1,
        backoff: 0,
      });
    });

    it('keeps separate counters per key; clear forgets one key; refund gives one attempt back', async () => {
      const a = uid('att');
      const b = uid('att');
      await store().takeAttempt(attempt(a, { freeAttempts: 1 }));
      expect((await store().takeAttempt(attempt(a, { freeAttempts: 1 }))).allowed).toBe(false);
      expect((await store().takeAttempt(attempt(b, { freeAttempts: 1 }))).allowed).toBe(true);
      await store().clearAttempts(a);
      expect(await store().takeAttempt(attempt(a, { freeAttempts: 1 }))).toEqual({
        allowed: true,
        count: 1,
        backoff: 1,
      });
      const c = uid('att');
      await store().takeAttempt(attempt(c));
      await store().takeAttempt(attempt(c));
      await store().refundAttempt(c);
      expect(await store().takeAttempt(attempt(c))).toEqual({ allowed: true, count: 2, backoff: 0 });
    });

    it('refuses a policy that is not made of non-negative integers', async () => {
      await expect(store().takeAttempt(attempt(uid('att'), { freeAttempts: 0 }))).rejects.toThrow(RangeError);
      await expect(store().takeAttempt(attempt(uid('att'), { window: 0 }))).rejects.toThrow(RangeError);
      await expect(store().takeAttempt(attempt(uid('att'), { maxBackoff: 1.5 }))).rejects.toThrow(RangeError);
    });

    it('purges counters whose window and wait are both over', async () => {
      const key = uid('att');
      await store().takeAttempt(attempt(key, { freeAttempts: 1 }));
      await store().purgeExpiredAttempts(T0 + 3599);
      expect((await store().takeAttempt(attempt(key, { freeAttempts: 1 }))).allowed).toBe(false);
      expect(await store().purgeExpiredAttempts(T0 + 3600)).toBeGreaterThanOrEqual(1);
      expect(await store().takeAttempt(attempt(key, { freeAttempts: 1 }))).toMatchObject({
        allowed: true,
        count: 1,
      });
    });
  });
}
