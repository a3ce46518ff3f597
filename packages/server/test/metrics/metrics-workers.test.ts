/**
 * Issue 19 item 5: `tessera serve --workers N` serves one `/metrics` for the whole process group,
 * on the public port behind `metrics.token` or on its own listener (`metrics.listen`). The built
 * binary, a real primary and two real workers; node:cluster hands connections to the workers in
 * turn (round-robin on Linux), so requests on fresh connections are served by both.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/listening.js';

const BIN = new URL('../../dist/cli/bin.js', import.meta.url).pathname;
const TOKEN = 'metrics-token-0123456789abcdef';
const REQUESTS = 20;

const started: ChildProcess[] = [];

afterEach(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      await exited;
    }
  }
});

async function startCluster(env: Record<string, string>): Promise<string> {
  expect(existsSync(BIN), 'dist is built (npm test runs tsc -b first)').toBe(true);
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', '--dev', '--port', String(port), '--workers', '2'], {
    cwd: mkdtempSync(join(tmpdir(), 'tessera-metrics-')),
    env: { PATH: process.env.PATH ?? '', TESSERA_LOG_LEVEL: 'warn', ...env },
    detached: true,
  });
  started.push(child);
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Tessera is listening')) {
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return out;
}

/** One GET on a fresh connection (so the kernel may hand it to either worker). */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function healthzCount(text: string): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith('tessera_http_requests_total{') && l.includes('route="/healthz"'));
  return Number(line?.split(' ').at(-1) ?? 0);
}

describe('serve --workers 2: one /metrics for the process group (issue 19 item 5)', () => {
  it('issue 19.5 — counters from requests served by both workers add up in one scrape on the public port, which wants metrics.token (RFC 6750 §3)', async () => {
    const out = await startCluster({ TESSERA_METRICS_TOKEN: TOKEN });
    const url = /listening on (\S+)/.exec(out)?.[1] ?? '';
    for (let i = 0; i < REQUESTS; i++) {
      expect((await get(`${url}/healthz`)).status).toBe(200);
    }

    const anonymous = await get(`${url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/);
    expect(anonymous.body).not.toContain('tessera_http_requests_total');
    expect((await get(`${url}/metrics`, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);

    // Each scrape lands on either worker; every one of them reports all the requests.
    for (let i = 0; i < 4; i++) {
      const scrape = await get(`${url}/metrics`, { authorization: `Bearer ${TOKEN}` });
      expect(scrape.status).toBe(200);
      expect(healthzCount(scrape.body)).toBe(REQUESTS);
    }
  }, 120_000);

  it('issue 19.5 — with metrics.listen the primary serves the aggregate on its own address and the public port has no /metrics', async () => {
    const metricsPort = await freePort();
    const out = await startCluster({ TESSERA_METRICS_LISTEN: `127.0.0.1:${metricsPort}` });
    const url = /listening on (\S+)/.exec(out)?.[1] ?? '';
    expect(out).toContain(`metrics on http://127.0.0.1:${metricsPort}/metrics`);
    for (let i = 0; i < REQUESTS; i++) {
      expect((await get(`${url}/healthz`)).status).toBe(200);
    }
    expect((await get(`${url}/metrics`)).status).toBe(404);

    const scrape = await get(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers['content-type']).toMatch(/^text\/plain/);
    expect(healthzCount(scrape.body)).toBe(REQUESTS);
    expect((await get(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(404);
  }, 120_000);
});
