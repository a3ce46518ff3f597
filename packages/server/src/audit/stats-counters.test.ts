import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../clock.js';
import type { StatCount, StatsStore } from '../store/ports.js';
import { createStatsCounters } from './stats-counters.js';

const quiet = { info() {}, warn() {}, error() {} };
const T = 1_700_000_080; // 40 s into a minute

/** An additive store in memory; `failing` makes every write throw (nothing is written). */
function memoryStore(): Pick<StatsStore, 'addStatCounts'> & {
  rows: Map<string, number>;
  failing: boolean;
  writes: number;
} {
  const rows = new Map<string, number>();
  return {
    rows,
    failing: false,
    writes: 0,
    async addStatCounts(counts: readonly StatCount[]) {
      if (this.failing) {
        throw new Error('store down');
      }
      this.writes += 1;
      for (const c of counts) {
        const key = `${c.bucket}/${c.name}/${c.label}`;
        rows.set(key, (rows.get(key) ?? 0) + c.count);
      }
    },
  };
}

describe('stats counters', () => {
  it('counts per minute, name and label in memory and adds them to the store on flush', async () => {
    const store = memoryStore();
    const clock = createFixedClock(T);
    const stats = createStatsCounters({ store, clock, logger: quiet, intervalMs: 0 });
    stats.add('tokens_issued', 'client_credentials');
    stats.add('tokens_issued', 'client_credentials');
    stats.add('rejections', 'invalid_client');
    clock.advance(30); // the next minute
    stats.add('tokens_issued', 'client_credentials');
    expect(store.writes).toBe(0);
    expect(stats.state()).toEqual({ held: 3, dropped: 0 });
    await stats.flush();
    const minute = T - (T % 60);
    expect(Object.fromEntries(store.rows)).toEqual({
      [`${minute}/tokens_issued/client_credentials`]: 2,
      [`${minute}/rejections/invalid_client`]: 1,
      [`${minute + 60}/tokens_issued/client_credentials`]: 1,
    });
    expect(stats.state().held).toBe(0);
    // Nothing new: no write.
    await stats.flush();
    expect(store.writes).toBe(1);
    await stats.close();
  });

  it('a failed flush keeps the counts: the next one writes them added to what came meanwhile', async () => {
    const store = memoryStore();
    const clock = createFixedClock(T);
    const stats = createStatsCounters({ store, clock, logger: quiet, intervalMs: 0 });
    stats.add('rate_limited', '/token');
    stats.add('rate_limited', '/token');
    store.failing = true;
    await stats.flush();
    expect(store.rows.size).toBe(0);
    stats.add('rate_limited', '/token');
    store.failing = false;
    await stats.flush();
    expect([...store.rows.values()]).toEqual([3]);
  });

  it('memory is bounded while the store fails: counts for new keys past maxKeys are dropped and counted', async () => {
    const store = memoryStore();
    const stats = createStatsCounters({
      store,
      clock: createFixedClock(T),
      logger: quiet,
      intervalMs: 0,
      maxKeys: 2,
    });
    store.failing = true;
    stats.add('revocations', 'jti');
    stats.add('revocations', 'session');
    await stats.flush();
    stats.add('revocations', 'client'); // a third key: dropped
    stats.add('revocations', 'jti'); // a key held: still counted
    expect(stats.state()).toEqual({ held: 2, dropped: 1 });
    store.failing = false;
    await stats.flush();
    expect([...store.rows.entries()].map(([key, n]) => `${key.split('/')[2]}=${n}`).sort()).toEqual([
      'jti=2',
      'session=1',
    ]);
  });

  it('two nodes counting the same minute add up in the store; close() flushes', async () => {
    const store = memoryStore();
    const clock = createFixedClock(T);
    const a = createStatsCounters({ store, clock, logger: quiet, intervalMs: 0 });
    const b = createStatsCounters({ store, clock, logger: quiet, intervalMs: 0 });
    a.add('api_key_verifications', 'valid');
    b.add('api_key_verifications', 'valid');
    b.add('api_key_verifications', 'valid');
    await a.close();
    await b.close();
    expect([...store.rows.values()]).toEqual([3]);
  });

  it('labels are cut to 64 characters (a long route cannot grow a key without bound)', async () => {
    const store = memoryStore();
    const stats = createStatsCounters({ store, clock: createFixedClock(T), logger: quiet, intervalMs: 0 });
    stats.add('rate_limited', 'x'.repeat(500));
    await stats.flush();
    expect([...store.rows.keys()][0]?.split('/')[2]).toBe('x'.repeat(64));
  });
});
