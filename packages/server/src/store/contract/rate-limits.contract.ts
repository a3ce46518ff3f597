import { describe, expect, it } from 'vitest';
import type { RateLimitRequest } from '../ports.js';
import { type ContractOptions, type MakeStore, T0, uid, useStore } from './fixtures.js';

/** T0 is a multiple of 60 plus 20 seconds: windows of 60 s start at WINDOW. */
const WINDOW = Math.floor(T0 / 60) * 60;

function hit(key: string, overrides: Partial<RateLimitRequest> = {}): RateLimitRequest {
  return { key, limit: 3, window: 60, kind: 'fixed', now: WINDOW + 5, ...overrides };
}

export function describeRateLimitStore(makeStore: MakeStore, options: ContractOptions = {}): void {
  describe('RateLimitStore', () => {
    const store = useStore(makeStore);

    it('fixed window: counts up to the limit, refuses without counting, and starts over next window', async () => {
      const key = uid('rl');
      const results = [];
      for (let i = 0; i < 5; i++) {
        results.push(await store().consumeRateLimit(hit(key)));
      }
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false]);
      expect(results.map((r) => r.count)).toEqual([1, 2, 3, 3, 3]);
      expect(results[0]?.windowStart).toBe(WINDOW);
      const next = await store().consumeRateLimit(hit(key, { now: WINDOW + 60 }));
      expect(next).toEqual({ allowed: true, count: 1, previousCount: 0, windowStart: WINDOW + 60 });
    });

    it('keeps separate counters per key', async () => {
      const a = uid('rl');
      const b = uid('rl');
      await store().consumeRateLimit(hit(a, { limit: 1 }));
      expect((await store().consumeRateLimit(hit(a, { limit: 1 }))).allowed).toBe(false);
      expect((await store().consumeRateLimit(hit(b, { limit: 1 }))).allowed).toBe(true);
    });

    it('sliding window: the previous window weighs by its overlap with the last window seconds', async () => {
      const key = uid('rl');
      for (let i = 0; i < 4; i++) {
        expect((await store().consumeRateLimit(hit(key, { kind: 'sliding', limit: 4 }))).allowed).toBe(true);
      }
      // 15 s into the next window, 45/60 of the previous 4 still count: floor(3) → room for 1.
      const at = WINDOW + 75;
      const first = await store().consumeRateLimit(hit(key, { kind: 'sliding', limit: 4, now: at }));
      expect(first).toEqual({ allowed: true, count: 1, previousCount: 4, windowStart: WINDOW + 60 });
      expect((await store().consumeRateLimit(hit(key, { kind: 'sliding', limit: 4, now: at }))).allowed).toBe(
        false,
      );
      // 45 s in, only floor(4 * 15/60) = 1 still counts: room for 3 in all.
      const later = await store().consumeRateLimit(
        hit(key, { kind: 'sliding', limit: 4, now: WINDOW + 105 }),
      );
      expect(later).toMatchObject({ allowed: true, count: 2 });
      expect(
        (await store().consumeRateLimit(hit(key, { kind: 'sliding', limit: 4, now: WINDOW + 105 }))).allowed,
      ).toBe(true);
      expect(
        (await store().consumeRateLimit(hit(key, { kind: 'sliding', limit: 4, now: WINDOW + 105 }))).allowed,
      ).toBe(false);
    });

    it('sliding window: a saturated previous window refuses without writing a counter', async () => {
      const key = uid('rl');
      for (let i = 0; i < 2; i++) {
        await store().consumeRateLimit(hit(key, { kind: 'sliding', limit: 2 }));
      }
      const refused = await store().consumeRateLimit(
        hit(key, { kind: 'sliding', limit: 2, now: WINDOW + 60 }),
      );
      expect(refused).toEqual({ allowed: false, count: 0, previousCount: 2, windowStart: WINDOW + 60 });
    });

    it('race: 40 concurrent consumes with limit 7 → exactly 7 allowed, counter stays at 7', async () => {
      const key = uid('rl');
      const results = await Promise.all(
        Array.from({ length: 40 }, () => store().consumeRateLimit(hit(key, { limit: 7 }))),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(7);
      expect(
        results
          .filter((r) => r.allowed)
          .map((r) => r.count)
          .sort((x, y) => x - y),
      ).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect((await store().consumeRateLimit(hit(key, { limit: 7 }))).count).toBe(7);
    });

    // Declared by adapter kind, never decided by the behaviour under test: an adapter whose
    // instances share one database must pass it.
    const openSecondInstance = options.openSecondInstance;
    if (openSecondInstance !== undefined) {
      it('race: concurrent consumes from two store instances (two pools) on one database share one counter', async () => {
        const key = uid('rl');
        const other = await openSecondInstance();
        try {
          const probe = uid('rl');
          await store().consumeRateLimit(hit(probe));
          expect((await other.consumeRateLimit(hit(probe))).count, 'both instances see one counter').toBe(2);
          const results = await Promise.all(
            Array.from({ length: 30 }, (_, i) =>
              (i % 2 === 0 ? store() : other).consumeRateLimit(hit(key, { limit: 10 })),
            ),
          );
          expect(results.filter((r) => r.allowed)).toHaveLength(10);
          expect((await other.consumeRateLimit(hit(key, { limit: 10 }))).count).toBe(10);
        } finally {
          await other.close();
        }
      });
    }

    it('refuses a limit or window that is not a positive integer', async () => {
      await expect(store().consumeRateLimit(hit(uid('rl'), { limit: 0 }))).rejects.toThrow(RangeError);
      await expect(store().consumeRateLimit(hit(uid('rl'), { window: 0 }))).rejects.toThrow(RangeError);
    });

    it('purges counters of windows that can no longer matter', async () => {
      const key = uid('rl');
      await store().consumeRateLimit(hit(key, { limit: 1 }));
      expect(await store().purgeExpiredRateLimits(WINDOW + 119)).toBeGreaterThanOrEqual(0);
      expect((await store().consumeRateLimit(hit(key, { limit: 1 }))).allowed).toBe(false);
      expect(await store().purgeExpiredRateLimits(WINDOW + 120)).toBeGreaterThanOrEqual(1);
      expect((await store().consumeRateLimit(hit(key, { limit: 1 }))).allowed).toBe(true);
    });
  });
}
