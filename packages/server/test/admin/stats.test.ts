/**
 * `GET /admin/stats` (issue "Admin console"): the usage counters behind the console's charts. Real
 * calls move the right counter (a token issued, an API key verified, a 429, a rejection, an
 * introspection, a revocation); the ranges and their buckets; a bad range is 400; without
 * `stats:read` 403; another node's flushed counts add up with this node's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createStatsCounters } from '../../src/audit/stats-counters.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form } from '../support/clients.js';

interface Stats {
  range: string;
  bucket_seconds: number;
  from: number;
  until: number;
  buckets: number[];
  series: { name: string; label: string; total: number; counts: number[] }[];
}

let t: TestServer;
afterEach(async () => {
  await t?.close();
});

async function stats(query = '', headers: Record<string, string> = t.adminHeaders) {
  return t.app.inject({ method: 'GET', url: `/admin/stats${query}`, headers });
}

function total(view: Stats, name: string, label: string): number {
  return view.series.find((s) => s.name === name && s.label === label)?.total ?? 0;
}

async function mintToken(scopes: string[]) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/admin/admin-tokens',
    headers: t.adminHeaders,
    payload: { name: 'stats reader', scopes },
  });
  expect(response.statusCode, response.body).toBe(201);
  return { authorization: `Bearer ${response.json<{ token: string }>().token}` };
}

describe('GET /admin/stats', () => {
  it('a token issued, an API key verified, a 429, a rejection, an introspection and a revocation each move their counter', async () => {
    t = await bootstrap({ 'rateLimit.tokenPerIp': 3 });
    const client = await createTestClient(t);
    const verifier = await createTestClient(t, { grantTypes: [], permissions: ['api_keys:verify'] });
    const token = (secret = client.basic) =>
      t.app.inject({
        method: 'POST',
        url: '/token',
        headers: { ...FORM, authorization: secret },
        payload: form({ grant_type: 'client_credentials' }),
      });

    const issued = await token();
    expect(issued.statusCode).toBe(200);
    const accessToken = issued.json<{ access_token: string }>().access_token;
    expect((await token(`Basic ${Buffer.from(`${client.id}:wrong`).toString('base64')}`)).statusCode).toBe(
      401,
    );
    expect((await token()).statusCode).toBe(200);
    expect((await token()).statusCode).toBe(429);

    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/api-keys',
      headers: t.adminHeaders,
      payload: { name: 'k', owner: client.id, scope: 'read' },
    });
    const key = created.json<{ key: string }>().key;
    for (const candidate of [key, key, 'tsr_key_garbage']) {
      const verified = await t.app.inject({
        method: 'POST',
        url: '/api-keys/verify',
        headers: { authorization: verifier.basic },
        payload: { key: candidate },
      });
      expect(verified.statusCode).toBe(200);
    }
    const introspected = await t.app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { ...FORM, authorization: verifier.basic },
      payload: form({ token: accessToken }),
    });
    expect(introspected.statusCode).toBe(200);
    const revoked = await t.app.inject({
      method: 'POST',
      url: '/revoke',
      headers: { ...FORM, authorization: client.basic },
      payload: form({ token: accessToken }),
    });
    expect(revoked.statusCode).toBe(200);

    const response = await stats('?range=hour');
    expect(response.statusCode, response.body).toBe(200);
    const view = response.json<Stats>();
    expect(total(view, 'tokens_issued', 'client_credentials')).toBe(2);
    expect(total(view, 'rejections', 'invalid_client')).toBe(1);
    expect(total(view, 'rejections', 'rate_limited')).toBe(1);
    expect(total(view, 'rate_limited', '/token')).toBe(1);
    expect(total(view, 'api_key_verifications', 'valid')).toBe(2);
    expect(total(view, 'api_key_verifications', 'not_found')).toBe(1);
    expect(total(view, 'introspections', '200')).toBe(1);
    expect(total(view, 'revocations', 'jti')).toBe(1);
    // All in the current minute: the last bucket.
    const series = view.series.find((s) => s.name === 'tokens_issued');
    expect(series?.counts.at(-1)).toBe(2);
    expect(series?.counts.slice(0, -1).every((n) => n === 0)).toBe(true);
  });

  it('ranges: hour in 60 one-minute buckets, day (the default) in 96 of 15 minutes, week in 84 of 2 hours; counts land in their bucket', async () => {
    t = await bootstrap({}, { startSeconds: 1_700_000_000 });
    const client = await createTestClient(t);
    const issue = () =>
      t.app.inject({
        method: 'POST',
        url: '/token',
        headers: { ...FORM, authorization: client.basic },
        payload: form({ grant_type: 'client_credentials' }),
      });
    await issue();
    t.clock.advance(180);
    await issue();
    await issue();
    const now = t.clock.now();

    const hour = (await stats('?range=hour')).json<Stats>();
    expect(hour).toMatchObject({ range: 'hour', bucket_seconds: 60 });
    expect(hour.buckets).toHaveLength(60);
    expect(hour.until).toBe(now - (now % 60) + 60);
    expect(hour.from).toBe(hour.until - 3600);
    const counts = hour.series.find((s) => s.name === 'tokens_issued')?.counts ?? [];
    expect(counts.at(-1)).toBe(2);
    expect(counts.at(-4)).toBe(1);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3);

    const day = (await stats()).json<Stats>();
    expect(day).toMatchObject({ range: 'day', bucket_seconds: 900 });
    expect(day.buckets).toHaveLength(96);
    expect(day.buckets.slice(0, 2)).toEqual([day.from, day.from + 900]);
    expect(total(day, 'tokens_issued', 'client_credentials')).toBe(3);

    const week = (await stats('?range=week')).json<Stats>();
    expect(week).toMatchObject({ range: 'week', bucket_seconds: 7200 });
    expect(week.buckets).toHaveLength(84);
    expect(week.until - week.from).toBe(7 * 86_400);
    expect(total(week, 'tokens_issued', 'client_credentials')).toBe(3);

    // An hour later, the first call has left the hour but not the day.
    t.clock.advance(3600);
    expect(total((await stats('?range=hour')).json<Stats>(), 'tokens_issued', 'client_credentials')).toBe(0);
    expect(total((await stats('?range=day')).json<Stats>(), 'tokens_issued', 'client_credentials')).toBe(3);
  });

  it('another node’s counts (flushed to the same store) add up with this node’s', async () => {
    t = await bootstrap();
    const otherNode = createStatsCounters({
      store: t.store,
      clock: t.clock,
      logger: t.logger,
      intervalMs: 0,
    });
    otherNode.add('tokens_issued', 'authorization_code');
    otherNode.add('tokens_issued', 'authorization_code');
    await otherNode.close();
    t.stats.add('tokens_issued', 'authorization_code');
    const view = (await stats('?range=hour')).json<Stats>();
    expect(total(view, 'tokens_issued', 'authorization_code')).toBe(3);
  });

  it('a bad range or an unknown parameter is 400 invalid_request; without stats:read 403 insufficient_scope', async () => {
    t = await bootstrap();
    for (const query of ['?range=month', '?range=', '?since=0']) {
      const response = await stats(query);
      expect(response.statusCode, query).toBe(400);
      expect(response.json()).toMatchObject({ error: 'invalid_request' });
    }
    const usersOnly = await mintToken(['users:read']);
    const refused = await stats('?range=hour', usersOnly);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: 'insufficient_scope' });
    expect(refused.headers['www-authenticate']).toContain('scope="stats:read"');
    const reader = await mintToken(['stats:read']);
    expect((await stats('?range=hour', reader)).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/admin/stats' })).statusCode).toBe(401);
  });

  it('/metrics shows the counts held for the store and those dropped', async () => {
    t = await bootstrap();
    t.stats.add('rejections', 'invalid_request');
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^tessera_stats_counts_held [1-9]\d*$/m);
    expect(metrics).toMatch(/^tessera_stats_counts_dropped 0$/m);
  });

  it('is in the admin API document', async () => {
    t = await bootstrap();
    const doc = (
      await t.app.inject({ method: 'GET', url: '/admin/openapi.json', headers: t.adminHeaders })
    ).json<{
      paths: Record<string, { get?: { parameters?: { name: string }[] } }>;
    }>();
    expect(doc.paths['/admin/stats']?.get?.parameters?.map((p) => p.name)).toEqual(['range']);
  });
});
