/**
 * `tessera_http_requests_total` and `tessera_http_request_duration_seconds` label every response by
 * its route pattern, method and status, counted once: the recorder is attached to each route when it
 * is registered (http/plugins/metrics.ts), and unmatched URLs share the `unmatched` label.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';

/** The value of one series in the Prometheus text, 0 when absent. */
function seriesValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('request metrics by route', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await bootstrap();
  });
  afterAll(async () => {
    await t.close();
  });

  const scrape = async () => (await t.app.inject({ method: 'GET', url: '/metrics' })).body;

  it('each response is counted once under its route pattern, method and status; HEAD apart from GET', async () => {
    const before = await scrape();
    for (let n = 0; n < 3; n += 1) {
      await t.app.inject({ method: 'GET', url: '/healthz' });
    }
    await t.app.inject({ method: 'HEAD', url: '/healthz' });
    await t.app.inject({ method: 'GET', url: '/admin/clients/cli_nobody', headers: t.adminHeaders });
    const after = await scrape();
    const delta = (series: string) => seriesValue(after, series) - seriesValue(before, series);
    expect(delta('tessera_http_requests_total{route="/healthz",method="GET",status="200"}')).toBe(3);
    expect(delta('tessera_http_requests_total{route="/healthz",method="HEAD",status="200"}')).toBe(1);
    expect(delta('tessera_http_request_duration_seconds_count{route="/healthz",method="GET"}')).toBe(3);
    // A prefixed route with a parameter: the pattern, never the concrete id.
    expect(delta('tessera_http_requests_total{route="/admin/clients/:id",method="GET",status="404"}')).toBe(
      1,
    );
    expect(after).not.toContain('cli_nobody');
  });

  it('unknown paths and refused methods share the unmatched label', async () => {
    const before = await scrape();
    await t.app.inject({ method: 'GET', url: '/no/such/path/123' });
    await t.app.inject({ method: 'GET', url: '/another-garbage-path' });
    await t.app.inject({ method: 'DELETE', url: '/jwks' });
    const after = await scrape();
    const delta = (series: string) => seriesValue(after, series) - seriesValue(before, series);
    expect(delta('tessera_http_requests_total{route="unmatched",method="GET",status="404"}')).toBe(2);
    expect(delta('tessera_http_requests_total{route="unmatched",method="DELETE",status="405"}')).toBe(1);
    expect(after).not.toContain('garbage');
  });
});
