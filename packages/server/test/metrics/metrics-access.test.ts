/**
 * Issue 19 item 5: who may read `/metrics`. `metrics.token` makes it a Bearer-protected resource
 * (RFC 6750 §2.1, §3); `metrics.listen` moves it off the public port onto a listener of its own.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { startServer } from '../../src/main.js';
import { bootstrap, TEST_ADMIN_TOKEN, TEST_MASTER_KEY, type TestServer } from '../support/bootstrap.js';

const TOKEN = 'metrics-token-0123456789abcdef';
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0)) {
    await close();
  }
});

async function server(overrides: Record<string, unknown>): Promise<TestServer> {
  const t = await bootstrap(overrides);
  closers.push(() => t.close());
  return t;
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('/metrics access (issue 19 item 5)', () => {
  it('RFC 6750 §3 — with metrics.token a scrape without it, or with another, is 401 invalid_token with a Bearer challenge; with it 200', async () => {
    const t = await server({ 'metrics.token': TOKEN });
    const none = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer realm=.*error="invalid_token"/);
    expect(none.json()).toMatchObject({ error: 'invalid_token' });
    expect(none.body).not.toContain(TOKEN);

    for (const authorization of [
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Bearer ${TOKEN}0`,
      `Basic ${TOKEN}`,
      TOKEN,
    ]) {
      const wrong = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization } });
      expect(wrong.statusCode, authorization).toBe(401);
    }

    const ok = await t.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('# TYPE tessera_http_requests_total counter');
  });

  it('a metrics.token shorter than 16 characters and a metrics.listen that is not host:port are refused at load', () => {
    expect(() => loadConfig({ env: {}, overrides: { dev: true, 'metrics.token': 'short' } })).toThrow(
      /metrics\.token/,
    );
    for (const listen of ['9464', '127.0.0.1', '127.0.0.1:99999', 'http://127.0.0.1:9464', '::1:9464']) {
      expect(
        () => loadConfig({ env: {}, overrides: { dev: true, 'metrics.listen': listen } }),
        listen,
      ).toThrow(/metrics\.listen/);
    }
    for (const listen of ['127.0.0.1:9464', 'localhost:9464', '[::1]:9464', '0.0.0.0:0']) {
      expect(loadConfig({ env: {}, overrides: { dev: true, 'metrics.listen': listen } }).metrics.listen).toBe(
        listen,
      );
    }
  });

  it('with metrics.listen one process serves /metrics there (token required if set) and not on the public port', async () => {
    const config = loadConfig({
      env: {},
      overrides: {
        dev: true,
        issuer: 'http://127.0.0.1',
        port: 0,
        'database.url': ':memory:',
        masterKey: TEST_MASTER_KEY,
        adminToken: TEST_ADMIN_TOKEN,
        'maintenance.interval': 0,
        'metrics.listen': '127.0.0.1:0',
        'metrics.token': TOKEN,
      },
    });
    const running = await startServer(config, { logger: createLogger({ level: 'silent' }) });
    closers.push(() => running.close());
    expect(running.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const metricsUrl = running.metricsUrl ?? '';

    expect((await get(`${running.url}/healthz`)).status).toBe(200);
    expect((await get(`${running.url}/metrics`, { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
    expect((await get(metricsUrl)).status).toBe(401);
    const scrape = await get(metricsUrl, { authorization: `Bearer ${TOKEN}` });
    expect(scrape.status).toBe(200);
    expect(scrape.body).toMatch(
      /tessera_http_requests_total\{route="\/healthz",method="GET",status="200"\} 1/,
    );
    expect((await get(metricsUrl.replace('/metrics', '/'))).status).toBe(404);
  });
});
