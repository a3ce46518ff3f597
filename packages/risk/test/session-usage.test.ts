/**
 * Scoring a session's reported token uses (docs/risk.md, continuous authentication): each factor
 * fires on its own anomaly and stays silent on the session's normal use; memory stays bounded.
 */
import {
  createSessionUsageScorer,
  defaultSessionUsagePolicy,
  type SessionUse,
  usageNetwork,
} from '@tessera/risk';
import { describe, expect, it } from 'vitest';

const T0 = 1_800_000_000_000;
const MIN = 60_000;

function use(at: number, network = 'home', endpoint = 'GET /cookies', session = 'ses_1'): SessionUse {
  return { session, at, network, endpoint };
}

/** A settled session: 30 uses, one a minute, on two endpoints, from one network. */
function settled() {
  const scorer = createSessionUsageScorer();
  for (let i = 0; i < 30; i += 1) {
    const result = scorer.observe(use(T0 + i * MIN, 'home', i % 2 === 0 ? 'GET /cookies' : 'POST /cookies'));
    expect(result.score).toBe(0);
  }
  return scorer;
}

function names(result: { factors: { name: string }[] }): string[] {
  return result.factors.map((f) => f.name);
}

describe('session usage scoring', () => {
  it('the session’s own pace, endpoints and network cost nothing', () => {
    const scorer = settled();
    const result = scorer.observe(use(T0 + 30 * MIN));
    expect(result).toEqual({ score: 0, factors: [] });
    expect(defaultSessionUsagePolicy(result)).toBe('allow');
  });

  it('usage_rate: a burst far above the session’s own average', () => {
    const scorer = settled();
    let last = { score: 0, factors: [] as { name: string; value: number }[] };
    for (let i = 0; i < 60; i += 1) {
      last = scorer.observe(use(T0 + 30 * MIN + i * 500));
    }
    expect(names(last)).toEqual(['usage_rate']);
    expect(last.score).toBeGreaterThan(1);
  });

  it('usage_endpoint: an endpoint a settled session never used, cheap in a roaming one', () => {
    const scorer = settled();
    const result = scorer.observe(use(T0 + 30 * MIN, 'home', 'DELETE /account'));
    expect(names(result)).toEqual(['usage_endpoint']);
    expect(result.factors[0]?.value).toBeCloseTo(Math.log(31 / 3));
    const roaming = createSessionUsageScorer();
    for (let i = 0; i < 12; i += 1) {
      roaming.observe(use(T0 + i * MIN, 'home', `GET /e${i}`));
    }
    expect(roaming.observe(use(T0 + 12 * MIN, 'home', 'GET /new')).score).toBe(0);
  });

  it('usage_network: a move to a new network is flagged; interleaved use of two networks is concurrent and ends the session', () => {
    const scorer = settled();
    expect(scorer.observe(use(T0 + 30 * MIN)).score).toBe(0);
    const moved = scorer.observe(use(T0 + 30 * MIN + 5000, 'carrier'));
    expect(names(moved)).toEqual(['usage_network']);
    expect(defaultSessionUsagePolicy(moved)).toBe('flag');
    // Back on the first network 5 s later, the other used in between: two holders.
    const back = scorer.observe(use(T0 + 30 * MIN + 10_000, 'home'));
    expect(names(back)).toEqual(['usage_concurrent']);
    expect(defaultSessionUsagePolicy(back)).toBe('end');
    // Reports batched under one clock tick: the same instant still reads as interleaved.
    const tick = createSessionUsageScorer();
    tick.observe(use(T0, 'home'));
    tick.observe(use(T0, 'carrier'));
    expect(names(tick.observe(use(T0, 'home')))).toEqual(['usage_concurrent']);
    // A return an hour later is no longer concurrent (a person going home).
    const later = settled();
    later.observe(use(T0 + 30 * MIN, 'carrier'));
    expect(later.observe(use(T0 + 90 * MIN, 'home')).score).toBe(0);
  });

  it('memory is bounded: sessions past maxSessions are forgotten, least recently used first', () => {
    const scorer = createSessionUsageScorer({ maxSessions: 2 });
    scorer.observe(use(T0, 'a', 'GET /', 's1'));
    scorer.observe(use(T0, 'a', 'GET /', 's2'));
    scorer.observe(use(T0 + 1, 'a', 'GET /', 's1'));
    scorer.observe(use(T0, 'a', 'GET /', 's3'));
    expect(scorer.size).toBe(2);
    // s1 was kept: a new network there is a move.
    expect(names(scorer.observe(use(T0 + 2, 'b', 'GET /', 's1')))).toEqual(['usage_network']);
    // s2 was forgotten: a new network there is its first use again, not a move.
    expect(scorer.observe(use(T0 + 2, 'b', 'GET /', 's2')).score).toBe(0);
  });

  it('usageNetwork: the same /24 gives the same digest within a session, never the address, and differs across sessions', () => {
    const a = usageNetwork('ses_1', '81.2.69.10');
    expect(usageNetwork('ses_1', '81.2.69.200')).toBe(a);
    expect(usageNetwork('ses_1', '81.2.70.10')).not.toBe(a);
    expect(usageNetwork('ses_2', '81.2.69.10')).not.toBe(a);
    expect(a).toMatch(/^[\w-]{11}$/);
    expect(a).not.toContain('81');
  });

  it('a snapshot restored in another scorer scores on as the original: interleaved use split over two scorers is concurrent use', () => {
    const node1 = createSessionUsageScorer();
    const node2 = createSessionUsageScorer();
    const original = settled();
    // The settled session's state moves to node 1 through JSON, as through a store.
    expect(node1.restore('ses_1', JSON.parse(JSON.stringify(original.snapshot('ses_1'))))).toBe(true);
    expect(node1.snapshot('ses_1')).toEqual(original.snapshot('ses_1'));
    for (const [at, network, endpoint] of [
      [T0 + 30 * MIN, 'home', 'GET /cookies'],
      [T0 + 30 * MIN + 1, 'home', 'DELETE /cookies'],
    ] as const) {
      expect(node1.observe(use(at, network, endpoint))).toEqual(original.observe(use(at, network, endpoint)));
    }
    // Network A on node 1, B on node 2, A again on node 1, the state handed over each time.
    node1.observe(use(T0 + 31 * MIN, 'home'));
    node2.restore('ses_1', node1.snapshot('ses_1'));
    expect(names(node2.observe(use(T0 + 31 * MIN + 1000, 'carrier')))).toEqual(['usage_network']);
    node1.restore('ses_1', node2.snapshot('ses_1'));
    expect(names(node1.observe(use(T0 + 31 * MIN + 2000, 'home')))).toEqual(['usage_concurrent']);
  });

  it('restore: undefined is a session never used, a malformed snapshot is refused, sizes are cut to the bounds', () => {
    const scorer = createSessionUsageScorer({ maxNetworks: 2 });
    scorer.observe(use(T0, 'a'));
    expect(scorer.restore('ses_1', undefined)).toBe(true);
    expect(scorer.snapshot('ses_1')).toBeUndefined();
    expect(scorer.restore('ses_1', { v: 2 })).toBe(false);
    expect(
      scorer.restore('ses_1', {
        v: 1,
        firstAt: T0,
        uses: 1,
        lastAt: T0,
        recent: ['x'],
        endpoints: [],
        networks: [],
      }),
    ).toBe(false);
    expect(scorer.size).toBe(0);
    const networks: [string, number][] = [
      ['a', T0],
      ['b', T0 + 2],
      ['c', T0 + 1],
    ];
    expect(
      scorer.restore('ses_1', {
        v: 1,
        firstAt: T0,
        uses: 3,
        lastAt: T0 + 2,
        recent: [2, 1, 0],
        endpoints: [['GET /', 3]],
        networks,
      }),
    ).toBe(true);
    expect(scorer.snapshot('ses_1')?.networks).toEqual([
      ['b', T0 + 2],
      ['c', T0 + 1],
    ]);
    expect(scorer.snapshot('ses_1')?.recent).toEqual([2, 1, 0]);
  });
});
