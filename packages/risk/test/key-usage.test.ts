/**
 * API-key usage profiles (docs/api-keys.md, "Anomalies"): each anomaly kind fires after the
 * learning period and not during it, normal use stays silent, roaming keys are not flagged for one
 * more value, memory is bounded, and a snapshot survives a round trip.
 */
import { createKeyUsageProfiler, type KeyUse } from '@tessera/risk';
import { describe, expect, it } from 'vitest';

const T0 = 1_800_000_000_000;
const MIN = 60_000;
const HOUR = 60 * MIN;

function use(at: number, extra: Partial<KeyUse> = {}): KeyUse {
  return { key: 'key_1', at, asn: '64500', country: 'DE', endpoint: 'GET /orders/:id', ...extra };
}

/** 200 uses over 25 hours, one every 7.5 minutes, two endpoints, one network: past learning. */
function settled(options = {}) {
  const profiler = createKeyUsageProfiler(options);
  for (let i = 0; i < 200; i += 1) {
    const u = use(T0 + i * 7.5 * MIN, { endpoint: i % 2 === 0 ? 'GET /orders/:id' : 'POST /orders' });
    expect(profiler.assess(u)).toEqual([]);
    profiler.learn(u);
  }
  return { profiler, next: T0 + 200 * 7.5 * MIN };
}

function kinds(anomalies: { kind: string }[]): string[] {
  return anomalies.map((a) => a.kind);
}

describe('key usage profiles', () => {
  it('the key’s own network, country, endpoints and pace are not anomalous (false-positive guard)', () => {
    const { profiler, next } = settled();
    expect(profiler.assess(use(next))).toEqual([]);
    expect(profiler.assess(use(next, { endpoint: 'POST /orders' }))).toEqual([]);
    // No geo and no endpoint (a caller that sends neither): only the rate is judged.
    expect(profiler.assess({ key: 'key_1', at: next })).toEqual([]);
  });

  it('new_asn, new_country and new_endpoint after learning, with the new value', () => {
    const { profiler, next } = settled();
    expect(profiler.assess(use(next, { asn: '64999' }))).toEqual([{ kind: 'new_asn', value: '64999' }]);
    expect(profiler.assess(use(next, { asn: '64999', country: 'BR' }))).toEqual([
      { kind: 'new_asn', value: '64999' },
      { kind: 'new_country', value: 'BR' },
    ]);
    expect(profiler.assess(use(next, { endpoint: 'DELETE /orders/:id' }))).toEqual([
      { kind: 'new_endpoint', value: 'DELETE /orders/:id' },
    ]);
  });

  it('rate: a burst far beyond the key’s own highest rate, after learning', () => {
    const { profiler, next } = settled();
    let last: { kind: string; value: string; baseline?: number }[] = [];
    let calls = 0;
    for (; calls < 40 && last.length === 0; calls += 1) {
      const u = use(next + calls * 500);
      last = profiler.assess(u);
      profiler.learn(u);
    }
    // A call every 7.5 minutes, then one every half second: flagged within the first 20.
    expect(kinds(last)).toEqual(['rate']);
    expect(calls).toBeLessThan(20);
    expect(Number(last[0]?.value)).toBeGreaterThanOrEqual(10);
    expect(Number(last[0]?.value)).toBeGreaterThan(10 * (last[0]?.baseline ?? Number.POSITIVE_INFINITY));
    // Let through, the burst is the key's pace a minute later.
    for (let i = 0; i < 240; i += 1) {
      const u = use(next + 20_000 + i * 500);
      if (i > 120) {
        expect(profiler.assess(u)).toEqual([]);
      }
      profiler.learn(u);
    }
  });

  it('a key’s own regular burst (a batch job) is its normal', () => {
    const profiler = createKeyUsageProfiler({ learningUses: 10, learningMs: HOUR });
    // Every hour: 60 calls in 30 seconds.
    let anomalies = 0;
    for (let hour = 0; hour < 30; hour += 1) {
      for (let i = 0; i < 60; i += 1) {
        const u = use(T0 + hour * HOUR + i * 500);
        anomalies += profiler.assess(u).length;
        profiler.learn(u);
      }
    }
    expect(anomalies).toBe(0);
  });

  it('nothing is anomalous while learning: too few uses, or too young', () => {
    const young = createKeyUsageProfiler();
    for (let i = 0; i < 500; i += 1) {
      young.learn(use(T0 + i * MIN));
    }
    // 500 uses but under 24 hours old.
    expect(young.assess(use(T0 + 500 * MIN, { asn: '64999', country: 'BR', endpoint: 'GET /x' }))).toEqual(
      [],
    );
    const few = createKeyUsageProfiler();
    for (let i = 0; i < 50; i += 1) {
      few.learn(use(T0 + i * HOUR));
    }
    // 50 hours old but under 100 uses.
    expect(few.assess(use(T0 + 50 * HOUR, { asn: '64999', country: 'BR', endpoint: 'GET /x' }))).toEqual([]);
    // An unknown key is always learning.
    expect(few.assess(use(T0, { key: 'key_other' }))).toEqual([]);
  });

  it('a roaming key (many networks and endpoints) is not flagged for one more', () => {
    const profiler = createKeyUsageProfiler({ learningUses: 10, learningMs: HOUR });
    for (let i = 0; i < 60; i += 1) {
      profiler.learn(use(T0 + i * 2 * MIN, { asn: String(64_000 + i), endpoint: `GET /e${i % 20}` }));
    }
    expect(profiler.assess(use(T0 + 3 * HOUR, { asn: '65000', endpoint: 'GET /new' }))).toEqual([]);
  });

  it('memory is bounded: keys and values per key', () => {
    const profiler = createKeyUsageProfiler({ maxKeys: 3, maxValues: 4 });
    for (let i = 0; i < 10; i += 1) {
      profiler.learn(use(T0 + i, { key: `key_${i}` }));
      profiler.learn(use(T0 + i, { key: 'key_hot', endpoint: `GET /e${i}` }));
    }
    expect(profiler.size).toBe(3);
    expect(profiler.has('key_hot')).toBe(true);
    expect(profiler.snapshot('key_hot')?.endpoints.length).toBe(4);
  });

  it('a snapshot restores the profile (restart); garbage is ignored', () => {
    const { profiler, next } = settled();
    const snapshot = JSON.parse(JSON.stringify(profiler.snapshot('key_1')));
    const restarted = createKeyUsageProfiler();
    restarted.restore('key_1', { v: 1, uses: 'many' });
    expect(restarted.has('key_1')).toBe(false);
    restarted.restore('key_1', snapshot);
    expect(restarted.assess(use(next))).toEqual([]);
    expect(kinds(restarted.assess(use(next, { asn: '64999' })))).toEqual(['new_asn']);
  });
});
