import { describe, expect, it } from 'vitest';
import type { StatCount } from '../ports.js';
import { type ContractOptions, type MakeStore, T0, uid, useStore } from './fixtures.js';

/** A minute boundary near T0. */
const M = Math.floor(T0 / 60) * 60;

export function describeStatsStore(makeStore: MakeStore, options: ContractOptions = {}): void {
  describe('StatsStore', () => {
    const store = useStore(makeStore);

    async function read(label: string, since: number, until: number, bucketSeconds = 60) {
      return (await store().listStatCounts({ since, until, bucketSeconds })).filter((c) => c.label === label);
    }

    it('adds: a second flush of the same minute, name and label adds to the row; duplicates in one batch merge', async () => {
      const label = uid('lbl');
      await store().addStatCounts([
        { bucket: M, name: 'tokens_issued', label, count: 3 },
        { bucket: M, name: 'tokens_issued', label, count: 2 },
        { bucket: M + 60, name: 'tokens_issued', label, count: 1 },
      ]);
      await store().addStatCounts([{ bucket: M, name: 'tokens_issued', label, count: 4 }]);
      expect(await read(label, M, M + 120)).toEqual([
        { bucket: M, name: 'tokens_issued', label, count: 9 },
        { bucket: M + 60, name: 'tokens_issued', label, count: 1 },
      ]);
    });

    it('reads sums per coarser bucket, within [since, until), ordered by bucket', async () => {
      const label = uid('lbl');
      const base = Math.floor(M / 900) * 900;
      await store().addStatCounts([
        { bucket: base - 60, name: 'rejections', label, count: 100 },
        { bucket: base, name: 'rejections', label, count: 1 },
        { bucket: base + 840, name: 'rejections', label, count: 2 },
        { bucket: base + 900, name: 'rejections', label, count: 5 },
        { bucket: base + 900, name: 'introspections', label, count: 7 },
        { bucket: base + 1800, name: 'rejections', label, count: 50 },
      ]);
      expect(await read(label, base, base + 1800, 900)).toEqual([
        { bucket: base, name: 'rejections', label, count: 3 },
        { bucket: base + 900, name: 'introspections', label, count: 7 },
        { bucket: base + 900, name: 'rejections', label, count: 5 },
      ]);
    });

    it('a batch is all or nothing: a bad count writes none of it', async () => {
      const label = uid('lbl');
      await expect(
        store().addStatCounts([
          { bucket: M, name: 'tokens_issued', label, count: 1 },
          { bucket: M, name: 'tokens_issued', label: `${label}x`, count: -1 },
        ]),
      ).rejects.toThrow(RangeError);
      expect(await read(label, M, M + 60)).toEqual([]);
      await expect(store().listStatCounts({ since: M, until: M + 60, bucketSeconds: 0 })).rejects.toThrow(
        RangeError,
      );
    });

    it('purges rows of buckets before the cut, at most limit per call', async () => {
      const label = uid('lbl');
      const old = M - 30 * 86_400;
      await store().addStatCounts([
        { bucket: old, name: 'a', label, count: 1 },
        { bucket: old + 60, name: 'a', label, count: 1 },
        { bucket: M, name: 'a', label, count: 1 },
      ]);
      expect(await store().purgeStatCountsBefore(old + 120, 1)).toBeGreaterThanOrEqual(1);
      await store().purgeStatCountsBefore(old + 120);
      expect(await read(label, old - 60, M + 60)).toEqual([{ bucket: M, name: 'a', label, count: 1 }]);
    });

    const openSecondInstance = options.openSecondInstance;
    if (openSecondInstance !== undefined) {
      it('two nodes (two store instances on one database) flushing the same minute at once add up', async () => {
        const label = uid('lbl');
        const other = await openSecondInstance();
        try {
          const batch = (n: number): StatCount[] => [{ bucket: M, name: 'tokens_issued', label, count: n }];
          await Promise.all(
            Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store() : other).addStatCounts(batch(i + 1))),
          );
          // 1 + 2 + … + 20
          expect(await read(label, M, M + 60)).toEqual([
            { bucket: M, name: 'tokens_issued', label, count: 210 },
          ]);
        } finally {
          await other.close();
        }
      });
    }
  });
}
