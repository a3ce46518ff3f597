/**
 * The pure parts of the benchmark harness: statistics, the table, the scenario list and its
 * filter, the command line. No server starts and nothing is timed here (speed is for `npm run bench`).
 */
import { describe, expect, it } from 'vitest';
import { createAnswerTally, failureOf } from '../lib/answers.mjs';
import { expectedBodyOf, jobFor } from '../lib/requests.mjs';
import {
  instanceKey,
  parseBenchArgs,
  SCENARIOS,
  selectScenarios,
  withReferences,
} from '../lib/scenarios.mjs';
import { formatResults, formatTable, median, percentile, ratio, summarise } from '../lib/stats.mjs';

describe('bench statistics', () => {
  it('median of odd and even counts, ignoring non-finite values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, Number.NaN, 1, 3])).toBe(3);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  it('percentile uses the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([10, 20, 30, 40], 1)).toBe(10);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });

  it('ratio is NaN when a side is missing or zero', () => {
    expect(ratio(5, 10)).toBe(0.5);
    expect(Number.isNaN(ratio(5, 0))).toBe(true);
    expect(Number.isNaN(ratio(Number.NaN, 2))).toBe(true);
  });

  it('summarise takes the median of each figure and the highest peak RSS', () => {
    const summary = summarise([
      { rps: 100, p50: 1, p99: 9, peakRssMb: 80 },
      { rps: 300, p50: 3, p99: 7, peakRssMb: 90 },
      { rps: 200, p50: 2, p99: 8, peakRssMb: 70 },
    ]);
    expect(summary).toEqual({ rps: 200, p50: 2, p99: 8, peakRssMb: 90, repeats: 3 });
  });
});

describe('bench table', () => {
  it('formats a Markdown table with aligned columns', () => {
    const text = formatTable(
      ['name', 'value'],
      [
        ['a', '1'],
        ['long name', '12,345'],
      ],
    );
    expect(text.split('\n')).toEqual([
      '| name      |  value |',
      '|:----------|-------:|',
      '| a         |      1 |',
      '| long name | 12,345 |',
    ]);
  });

  it('shows ratios to the peer and to the ceiling, and skipped scenarios', () => {
    const scenarios = [
      { id: 'ceiling.fastify-hello' },
      { id: 'peer.x' },
      { id: 'tessera.y', peer: 'peer.x', reference: 'reference.y' },
      { id: 'reference.y' },
      { id: 'tessera.z' },
      { id: 'verify.w', peer: 'verify.v' },
      { id: 'verify.v' },
    ];
    const table = formatResults(scenarios, {
      'ceiling.fastify-hello': { rps: 20_000, p50: 1, p99: 3, peakRssMb: 60 },
      'peer.x': { rps: 2_000, p50: 10, p99: 30, peakRssMb: 120 },
      'tessera.y': { rps: 10_000, p50: 2, p99: 5, peakRssMb: 100 },
      'reference.y': { rps: 12_500, p50: 1, p99: 4, peakRssMb: 70 },
      'tessera.z': { skipped: 'needs PostgreSQL' },
      'verify.w': { value: 50, unit: 'verifications/s', p50: Number.NaN, p99: Number.NaN },
      'verify.v': { value: 100, unit: 'verifications/s', p50: Number.NaN, p99: Number.NaN },
    });
    const row = (id: string) => table.split('\n').find((line) => line.startsWith(`| ${id} `)) ?? '';
    expect(row('tessera.y')).toMatch(
      /10,000 req\/s \|\s+2\.00 \|\s+5\.00 \|\s+5\.00× \|\s+0\.80× \|\s+0\.50× \|\s+100 \|/,
    );
    expect(row('peer.x')).toMatch(/0\.10× \|/);
    expect(row('tessera.z')).toContain('skipped: needs PostgreSQL');
    expect(row('verify.w')).toMatch(/50 verifications\/s .*0\.50×/);
  });
});

describe('bench scenarios', () => {
  it('ids are unique, and every peer names a scenario of the list', () => {
    const ids = SCENARIOS.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const scenario of SCENARIOS) {
      if (scenario.peer !== undefined) {
        expect(ids).toContain(scenario.peer);
      }
    }
  });

  it('covers every scenario of issue 7', () => {
    const ids = SCENARIOS.map((s) => s.id).join(' ');
    for (const needed of [
      'ceiling.fastify-hello',
      'peer.oidc-provider.cc-jwt-es256',
      'tessera.cc-jwt-es256',
      'tessera.cc-jwt-eddsa',
      'tessera.cc-jwt-rs256',
      'tessera.cc-opaque',
      'tessera.introspect-jwt',
      'tessera.introspect-opaque',
      'tessera.api-key-verify',
      'tessera.refresh-rotation.sqlite',
      'tessera.refresh-rotation-rs256.sqlite',
      'tessera.refresh-rotation.postgres',
      'growth.cc-jwt-es256.clients-100k',
      'growth.api-key-verify.keys-1m',
      'workers.cc-jwt-es256.w2',
      'verify.tessera-cached',
      'verify.tessera-uncached',
      'verify.raw-jose-jwtVerify',
      'verify.raw-node-crypto',
      'revocation.propagation',
    ]) {
      expect(ids).toContain(needed);
    }
  });

  it('--only matches exact ids, prefixes and segments; nothing selects all', () => {
    const ids = (only: string[]) => selectScenarios(SCENARIOS, only).map((s: { id: string }) => s.id);
    expect(ids([])).toHaveLength(SCENARIOS.length);
    expect(ids(['ceiling.fastify-hello'])).toEqual(['ceiling.fastify-hello']);
    expect(ids(['tessera.cc-jwt-es256'])).toEqual(['tessera.cc-jwt-es256']);
    expect(ids(['tessera.cc-jwt'])).toEqual([
      'tessera.cc-jwt-es256',
      'tessera.cc-jwt-eddsa',
      'tessera.cc-jwt-rs256',
      'tessera.cc-jwt-es256.postgres',
    ]);
    expect(ids(['ceiling,peer'])).toEqual(['ceiling.fastify-hello', 'peer.oidc-provider.cc-jwt-es256']);
    expect(ids(['tessera.introspect'])).toEqual(['tessera.introspect-jwt', 'tessera.introspect-opaque']);
    expect(ids(['verify'])).toEqual([
      'verify.raw-node-crypto',
      'verify.raw-jose-jwtVerify',
      'verify.tessera-uncached',
      'verify.tessera-cached',
    ]);
    expect(ids(['nothing-like-this'])).toEqual([]);
  });

  it('every reference names a reference-handler scenario (issue 18)', () => {
    const byId = new Map(SCENARIOS.map((s: { id: string }) => [s.id, s]));
    for (const scenario of SCENARIOS) {
      if (scenario.reference !== undefined) {
        expect(byId.get(scenario.reference)?.server).toBe('reference');
      }
    }
    for (const id of ['tessera.cc-jwt-es256', 'tessera.cc-jwt-eddsa', 'tessera.cc-jwt-rs256']) {
      expect(byId.get(id)?.reference).toBe(id.replace('tessera.', 'reference.'));
    }
    expect(byId.get('tessera.api-key-verify')?.reference).toBe('reference.api-key-verify');
    expect(byId.get('tessera.introspect-jwt')?.reference).toBe('reference.introspect-jwt');
  });

  it('a selection runs each reference handler just before its first user, alternately', () => {
    const ids = (only: string[]) =>
      withReferences(SCENARIOS, selectScenarios(SCENARIOS, only)).map((s: { id: string }) => s.id);
    expect(ids(['tessera.cc-jwt-es256'])).toEqual(['reference.cc-jwt-es256', 'tessera.cc-jwt-es256']);
    expect(ids(['tessera.cc-jwt-es256,tessera.cc-jwt-es256.postgres'])).toEqual([
      'reference.cc-jwt-es256',
      'tessera.cc-jwt-es256',
      'tessera.cc-jwt-es256.postgres',
    ]);
    const all = ids([]);
    expect(all).toHaveLength(SCENARIOS.length);
    expect(all.indexOf('reference.api-key-verify')).toBe(all.indexOf('tessera.api-key-verify') - 1);
    expect(all.indexOf('reference.introspect-jwt')).toBe(all.indexOf('tessera.introspect-jwt') - 1);
  });

  it('only a successful answer counts: each request type names the body a success holds', () => {
    expect(expectedBodyOf('cc-jwt')).toBe('"access_token"');
    expect(expectedBodyOf('ref-cc-rs256')).toBe('"access_token"');
    expect(expectedBodyOf('refresh')).toBe('"access_token"');
    expect(expectedBodyOf('refresh-rs256')).toBe('"access_token"');
    expect(expectedBodyOf('api-key-verify')).toBe('"valid":true');
    expect(expectedBodyOf('ref-api-key-verify')).toBe('"valid":true');
    expect(expectedBodyOf('introspect-jwt')).toBe('"active":true');
    expect(expectedBodyOf('ref-introspect-jwt')).toBe('"active":true');
    const job = jobFor('ref-cc-eddsa', {
      clients: [{ id: 'a', secret: 's' }],
    });
    expect(job).toMatchObject({ expect: '"access_token"', request: { path: '/eddsa/token' } });
  });

  it('scenarios that need the same Tessera process share one instance key', () => {
    const byId = new Map(SCENARIOS.map((s: { id: string }) => [s.id, s]));
    const key = (id: string) => instanceKey(byId.get(id)?.instance);
    expect(key('tessera.cc-jwt-es256')).toBe(key('tessera.introspect-jwt'));
    expect(key('tessera.cc-jwt-es256')).not.toBe(key('tessera.cc-jwt-eddsa'));
    expect(key('tessera.cc-jwt-es256')).not.toBe(key('growth.cc-jwt-es256.clients-100k'));
  });
});

describe('bench answers (issue 18: only successes count)', () => {
  it('counts a 2xx only when its body holds the success marker; 401, 429 and {"valid":false} never count', () => {
    const tally = createAnswerTally('"valid":true');
    tally.count(200, '{"valid":true,"key_id":"k"}');
    tally.count(200, '{"valid":false,"code":"not_found"}');
    tally.count(401, '{"error":"invalid_client"}');
    tally.count(429, '{"valid":true}');
    expect({ ok: tally.ok, unexpected: tally.unexpected }).toEqual({ ok: 1, unexpected: 1 });
    tally.reset();
    expect({ ok: tally.ok, unexpected: tally.unexpected }).toEqual({ ok: 0, unexpected: 0 });
  });

  it('a run with any non-2xx, error, timeout or unexpected body fails; a clean one does not', () => {
    const clean = { non2xx: 0, errors: 0, timeouts: 0, unexpected: 0, statusCodes: { 200: { count: 9 } } };
    expect(failureOf(clean, '"access_token"')).toBeUndefined();
    expect(failureOf({ ...clean, non2xx: 1 }, '"access_token"')).toMatch(/^1 non-2xx/);
    expect(failureOf({ ...clean, errors: 2 }, '"access_token"')).toMatch(/^2 /);
    expect(failureOf({ ...clean, timeouts: 1 }, '"access_token"')).toMatch(/^1 /);
    expect(failureOf({ ...clean, unexpected: 3 }, '"access_token"')).toMatch(/3 2xx without "access_token"/);
  });
});

describe('bench command line', () => {
  it('defaults to 3 repeats of 5 s; --quick is 1 repeat of 2 s', () => {
    expect(parseBenchArgs([])).toMatchObject({ repeats: 3, duration: 5, quick: false, only: [] });
    expect(parseBenchArgs(['--quick', '--only', 'ceiling'])).toMatchObject({
      repeats: 1,
      duration: 2,
      only: ['ceiling'],
    });
    expect(parseBenchArgs(['--only=peer', '--repeats', '5'])).toMatchObject({ repeats: 5, only: ['peer'] });
  });

  it('rejects unknown flags and bad numbers', () => {
    expect(() => parseBenchArgs(['--fast'])).toThrow(/unknown argument/);
    expect(() => parseBenchArgs(['--repeats', '0'])).toThrow(/positive integer/);
    expect(() => parseBenchArgs(['--only'])).toThrow(/needs a value/);
  });
});
