import { describe, expect, it } from 'vitest';
import { type MakeStore, T0, uid, useStore } from './fixtures.js';

export function describeReplayStore(makeStore: MakeStore): void {
  describe('ReplayStore', () => {
    const store = useStore(makeStore);

    it('accepts a key the first time and refuses it until it expires (RFC 7523 §3 jti)', async () => {
      const key = uid('jti');
      expect(await store().markOnce(key, T0 + 60, T0)).toBe(true);
      expect(await store().markOnce(key, T0 + 120, T0 + 30)).toBe(false);
      expect(await store().markOnce(key, T0 + 120, T0 + 59)).toBe(false);
      expect(await store().markOnce(key, T0 + 120, T0 + 60)).toBe(true);
      expect(await store().markOnce(key, T0 + 180, T0 + 100)).toBe(false);
    });

    it('lets exactly one of 20 concurrent marks of one key succeed', async () => {
      const key = uid('jti');
      const results = await Promise.all(Array.from({ length: 20 }, () => store().markOnce(key, T0 + 60, T0)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('purges expired keys', async () => {
      const expired = uid('jti');
      const live = uid('jti');
      await store().markOnce(expired, T0, T0 - 10);
      await store().markOnce(live, T0 + 1, T0 - 10);
      expect(await store().purgeExpiredReplays(T0)).toBeGreaterThanOrEqual(1);
      expect(await store().markOnce(live, T0 + 100, T0)).toBe(false);
    });
  });
}
