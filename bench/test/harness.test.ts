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
  pinningNote,
  SCENARIOS,
  selectScenarios,
  tasksetCores,
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
    expect(ids(['ceiling,peer'])).toEqual([
      'ceiling.fastify-hello',
      'peer.oidc-provider.cc-jwt-es256',
      'peer.oidc-provider.cc-opaque',
    ]);
    expect(ids(['tessera.introspect'])).toEqual([
      'tessera.introspect-jwt',
      'tessera.introspect-jwt-unseen',
      'tessera.introspect-opaque',
    ]);
    expect(ids(['tessera.cc-opaque'])).toEqual(['tessera.cc-opaque']);
    expect(ids(['login'])).toEqual(['reference.login-argon2', 'tessera.login', 'flood.login']);
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

describe('bench scenarios added for issue 18 (sign-in, unseen tokens, opaque peer, workers)', () => {
  const byId = new Map(SCENARIOS.map((s: { id: string }) => [s.id, s]));

  it('the sign-in is measured against raw argon2 and flooded past the verification bound', () => {
    expect(byId.get('tessera.login')).toMatchObject({
      request: 'login',
      reference: 'reference.login-argon2',
    });
    expect(byId.get('reference.login-argon2')).toMatchObject({
      server: 'reference',
      request: 'ref-argon2-verify',
    });
    // login.verifyConcurrency (4) + login.verifyQueue (64) admit 68; the flood must be larger.
    expect(byId.get('flood.login')).toMatchObject({ request: 'login-flood' });
    expect(byId.get('flood.login')?.connections).toBeGreaterThan(4 + 64);
    // One run, long enough for autocannon's 10 s timeouts to show (a stalled server fails it).
    expect(byId.get('flood.login')).toMatchObject({ repeats: 1 });
    expect(byId.get('flood.login')?.minDuration).toBeGreaterThan(10);
    const ids = withReferences(SCENARIOS, selectScenarios(SCENARIOS, ['tessera.login'])).map(
      (s: { id: string }) => s.id,
    );
    expect(ids).toEqual(['reference.login-argon2', 'tessera.login']);
  });

  it('the unseen-token introspection sits beside the same (seen-path) reference', () => {
    expect(byId.get('tessera.introspect-jwt-unseen')).toMatchObject({
      request: 'introspect-jwt-unseen',
      reference: 'reference.introspect-jwt',
    });
    const job = jobFor('introspect-jwt-unseen', {
      resourceServer: { id: 'rs', secret: 's' },
      unseenJwtTokens: ['a.b.c', 'd.e.f'],
    });
    // Each token sent once: load.mjs counts a second use as `reused`, which fails the run.
    expect(job).toMatchObject({ once: true, expect: '"active":true', request: { path: '/introspect' } });
    expect(job.variants.map((v: { body: string }) => v.body)).toEqual(['token=a.b.c', 'token=d.e.f']);
    expect(() => jobFor('introspect-jwt-unseen', { resourceServer: { id: 'rs', secret: 's' } })).toThrow(
      /unavailable/,
    );
  });

  it("opaque tokens are compared with the peer's opaque tokens, on SQLite and PostgreSQL", () => {
    expect(byId.get('peer.oidc-provider.cc-opaque')).toMatchObject({
      server: 'oidc-provider',
      request: 'cc-peer-opaque',
    });
    for (const id of ['tessera.cc-opaque', 'tessera.cc-opaque.postgres']) {
      expect(byId.get(id)).toMatchObject({ request: 'cc-opaque', peer: 'peer.oidc-provider.cc-opaque' });
    }
    expect(byId.get('tessera.cc-opaque.postgres')?.instance?.db).toBe('postgres');
    const job = jobFor('cc-peer-opaque', {
      clientId: 'c',
      clientSecret: 's',
      opaqueResource: 'https://opaque.bench.local',
    });
    expect(job.request.body).toBe(
      'grant_type=client_credentials&scope=read&resource=https%3A%2F%2Fopaque.bench.local',
    );
  });

  it('a sign-in job posts each browser’s CSRF cookie, token and address; success is 303 to /account', () => {
    const browser = {
      ip: '10.1.0.1',
      cookie: '__Host-tessera_csrf=abc',
      csrfToken: 'abc',
      username: 'u',
      password: 'p w',
    };
    const job = jobFor('login', { loginBrowsers: [browser] });
    expect(job.request).toMatchObject({ method: 'POST', path: '/account/login' });
    expect(job.variants).toEqual([
      {
        headers: { cookie: '__Host-tessera_csrf=abc', 'x-forwarded-for': '10.1.0.1' },
        body: 'csrf_token=abc&username=u&password=p%20w',
      },
    ]);
    expect(job.expect).toEqual({ status: 303, location: '/account' });
    expect(jobFor('login-flood', { floodBrowsers: [browser] }).expect).toEqual({
      status: 303,
      location: '/account',
      refusals: [503, 429],
    });
    expect(expectedBodyOf('ref-argon2-verify')).toBe('"valid":true');
  });

  it('workers: w1 has core 0 to itself; w2 spread over 2 cores shares the generator’s core, and says so', () => {
    expect(tasksetCores('0')).toEqual([0]);
    expect(tasksetCores('0-2')).toEqual([0, 1, 2]);
    expect(tasksetCores('0,3')).toEqual([0, 3]);
    const w1 = byId.get('workers.cc-jwt-es256.w1')?.instance;
    const w2 = byId.get('workers.cc-jwt-es256.w2')?.instance;
    // 2 cores: the load generator on core 1, spread = 0-1.
    expect(pinningNote(w1, { spread: '0-1', load: '1' })).toBeUndefined();
    expect(pinningNote(w2, { spread: '0-1', load: '1' })).toBe(
      'shares core 1 with the load generator (workers on 0-1)',
    );
    // 4 cores: spread = 0-2, the generator alone on core 3.
    expect(pinningNote(w2, { spread: '0-2', load: '3' })).toBeUndefined();
  });
});

describe('bench answers (issue 18: only successes count)', () => {
  it('a sign-in counts only as 303 to /account; a re-shown form, another redirect or a refusal never', () => {
    const tally = createAnswerTally({ status: 303, location: '/account' });
    tally.count(303, '', { location: '/account' });
    tally.count(303, '', { Location: '/account' });
    tally.count(303, '', { location: '/account/login' });
    tally.count(400, '<form>', {});
    tally.count(503, '<form>', { 'retry-after': '1' });
    expect({ ok: tally.ok, unexpected: tally.unexpected, refused: tally.refused }).toEqual({
      ok: 2,
      unexpected: 3,
      refused: 0,
    });
    const flood = createAnswerTally({ status: 303, location: '/account', refusals: [503, 429] });
    flood.count(303, '', { location: '/account' });
    flood.count(503, '', {});
    flood.count(429, '', {});
    flood.count(500, '', {});
    expect({ ok: flood.ok, unexpected: flood.unexpected, refused: flood.refused }).toEqual({
      ok: 1,
      unexpected: 1,
      refused: 2,
    });
  });

  it('a sign-in run fails on any answer but its redirect (or a flood’s refusal), and on a reused token', () => {
    const run = { non2xx: 40, errors: 0, timeouts: 0, unexpected: 0, statusCodes: { 303: { count: 40 } } };
    const expectLogin = { status: 303, location: '/account' };
    expect(failureOf(run, expectLogin)).toBeUndefined();
    expect(failureOf({ ...run, unexpected: 2 }, expectLogin)).toMatch(/2 answers other than 303 → \/account/);
    expect(failureOf({ ...run, timeouts: 1 }, expectLogin)).toMatch(/^1 /);
    const clean = { non2xx: 0, errors: 0, timeouts: 0, unexpected: 0, statusCodes: { 200: { count: 9 } } };
    expect(failureOf({ ...clean, reused: 4 }, '"active":true')).toMatch(/4 requests reused a use-once token/);
    expect(failureOf({ ...clean, total: 0, statusCodes: {} }, '"active":true')).toBe(
      'no answer at all during the run',
    );
  });

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
