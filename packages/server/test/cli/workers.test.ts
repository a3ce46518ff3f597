/**
 * `tessera serve --workers N` as an operator runs it: the built binary, a real primary and real
 * workers on a loopback port. Each test starts its own cluster in its own process group and kills
 * the whole group when it is done, so no worker outlives the test.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/listening.js';

const BIN = new URL('../../dist/cli/bin.js', import.meta.url).pathname;
const fixture = (name: string) => new URL(`../fixtures/tls/${name}`, import.meta.url).pathname;
const run = promisify(execFile);

interface Cluster {
  child: ChildProcess;
  cwd: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: Cluster[] = [];

function startCluster(args: string[]): Cluster {
  expect(existsSync(BIN), 'dist is built (npm test runs tsc -b first)').toBe(true);
  const cwd = mkdtempSync(join(tmpdir(), 'tessera-workers-'));
  const child = spawn(process.execPath, [BIN, 'serve', '--dev', ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', TESSERA_LOG_LEVEL: 'warn' },
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const cluster = { child, cwd, stdout: () => out, stderr: () => err, exited };
  started.push(cluster);
  return cluster;
}

/** Polls `check` every 100 ms; fails only when it stays false for `hangMs` (a hang, not a slow run). */
async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  hangMs = 120_000,
) {
  const deadline = Date.now() + hangMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`gave up waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function workerPids(primary: number): Promise<number[]> {
  const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(primary)]).catch(() => ({ stdout: '' }));
  return stdout
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => pid > 0)
    .sort();
}

/** GET over https trusting the fixture certificate; undefined when the request fails. */
function getTls(url: string): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { ca: readFileSync(fixture('cert.pem')), agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

afterEach(async () => {
  for (const cluster of started.splice(0)) {
    if (cluster.child.exitCode === null && cluster.child.signalCode === null && cluster.child.pid) {
      process.kill(-cluster.child.pid, 'SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(-(cluster.child.pid ?? 0), 'SIGKILL');
        } catch {
          // already gone
        }
      }, 20_000);
      await cluster.exited;
      clearTimeout(timer);
    }
  }
});

describe('serve --workers N: workers that die (issue 20 item 4)', () => {
  let blocker: Server | undefined;

  afterEach(async () => {
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    blocker = undefined;
  });

  it('issue 20.4 — a worker that cannot start (port taken) makes the primary give up and exit 1 with the reason, not hang', async () => {
    const port = await freePort();
    const server = createServer();
    blocker = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

    const cluster = startCluster(['--port', String(port), '--workers', '2']);
    const { code } = await cluster.exited;

    expect(code).toBe(1);
    expect(cluster.stderr()).toMatch(/tessera: worker \d+ died 5 times in a row .*giving up/);
    expect(cluster.stderr()).toContain('EADDRINUSE');
    expect(cluster.stderr()).not.toMatch(/\n\s+at /);
    expect(cluster.stdout()).not.toContain('Tessera is listening');
    expect(existsSync(join(cluster.cwd, '.tessera', 'server.json'))).toBe(false);
  }, 180_000);

  it('--dev --port 0 with workers: the primary chooses the port, and every worker serves it as the issuer (RFC 8414 §3.3)', async () => {
    const cluster = startCluster(['--port', '0', '--workers', '2']);
    await waitFor('the banner', () => cluster.stdout().includes('Tessera is listening') || undefined);
    const url = /listening on (http:\/\/127\.0\.0\.1:(\d+)) with 2 workers/.exec(cluster.stdout());
    expect(Number(url?.[2])).toBeGreaterThan(0);
    const origin = url?.[1] ?? '';
    expect(cluster.stdout()).toContain(`issuer ${origin} `);
    const info = JSON.parse(readFileSync(join(cluster.cwd, '.tessera', 'server.json'), 'utf8'));
    expect(info).toMatchObject({ url: origin, issuer: origin });
    // Round-robin reaches both workers; each derived its issuer from the primary's port.
    const issuers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const response = await fetch(`${origin}/.well-known/oauth-authorization-server`);
        return (await response.json()).issuer;
      }),
    );
    expect(new Set(issuers)).toEqual(new Set([origin]));
  }, 180_000);

  it('issue 20.4 — a worker killed with SIGKILL is restarted and the cluster keeps serving; issue 12.10 — with TLS it announces https://', async () => {
    const port = await freePort();
    const cluster = startCluster([
      '--port',
      String(port),
      '--workers',
      '2',
      '--tls-cert',
      fixture('cert.pem'),
      '--tls-key',
      fixture('key.pem'),
    ]);
    const url = `https://127.0.0.1:${port}`;
    await waitFor('the banner', () => cluster.stdout().includes('Tessera is listening') || undefined);

    // Issue 12.10: the banner and .tessera/server.json (read by the CLI next to it) say https.
    expect(cluster.stdout()).toContain(`Tessera is listening on ${url} with 2 workers`);
    const info = JSON.parse(readFileSync(join(cluster.cwd, '.tessera', 'server.json'), 'utf8'));
    expect(info).toMatchObject({ url, issuer: url });

    const primary = cluster.child.pid ?? 0;
    const before = await waitFor('two workers', async () => {
      const pids = await workerPids(primary);
      return pids.length === 2 ? pids : undefined;
    });
    const victim = before[0] ?? 0;
    process.kill(victim, 'SIGKILL');

    const after = await waitFor('a replacement worker', async () => {
      const pids = await workerPids(primary);
      return pids.length === 2 && !pids.includes(victim) ? pids : undefined;
    });
    expect(after).toContain(before[1]);
    // Every request answers again once the replacement listens (round-robin reaches both workers).
    await waitFor('both workers answering', async () => {
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => getTls(`${url}/.well-known/oauth-authorization-server`)),
      );
      return answers.every((a) => a?.status === 200 && JSON.parse(a.body).issuer === url) || undefined;
    });
    expect(cluster.child.exitCode).toBeNull();
  }, 180_000);
});
