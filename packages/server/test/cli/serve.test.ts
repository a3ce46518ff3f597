/**
 * The built `tessera` binary, as a newcomer runs it (README's first command runs `serve --dev`).
 * `npm test` builds before testing, so `dist/` is current.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/listening.js';

const BIN = new URL('../../dist/cli/bin.js', import.meta.url).pathname;
const run = promisify(execFile);

function cli(args: string[], cwd: string, env: Record<string, string> = {}) {
  return run(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env } });
}

/** `tessera serve --dev …` in `cwd`, once it has printed its banner line. */
async function serveDev(args: string[], cwd: string): Promise<{ child: ChildProcess; banner: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--dev', ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', TESSERA_LOG_LEVEL: 'warn' },
  });
  let banner = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner; got: ${banner}`)), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      banner += chunk.toString();
      if (banner.includes('Tessera is listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${banner}`)));
  });
  return { child, banner };
}

describe('tessera serve --dev (the README first command)', () => {
  let cwd: string;
  let port: number;
  let child: ChildProcess;
  let banner = '';

  beforeAll(async () => {
    expect(existsSync(BIN), 'dist is built (npm test runs tsc -b first)').toBe(true);
    cwd = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
    port = await freePort();
    ({ child, banner } = await serveDev(['--port', String(port)], cwd));
  });

  afterAll(() => {
    child.kill('SIGKILL');
  });

  it('prints one line with the issuer URL and where the admin credential is', () => {
    expect(banner).toContain(`issuer http://127.0.0.1:${port}`);
    expect(banner).toContain('admin API credential in .tessera/admin.token');
  });

  it('creates the SQLite store, the master key and the admin token in ./.tessera, secrets with mode 0600', () => {
    expect(existsSync(join(cwd, '.tessera', 'tessera.db'))).toBe(true);
    for (const file of ['master.key', 'admin.token']) {
      expect(statSync(join(cwd, '.tessera', file)).mode & 0o777, file).toBe(0o600);
    }
  });

  it('serves discovery at the advertised issuer', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect((await response.json()).issuer).toBe(`http://127.0.0.1:${port}`);
  });

  it('`tessera signing-keys rotate` finds the dev server and its admin credential without flags', async () => {
    const { stdout } = await cli(['signing-keys', 'rotate', '--json'], cwd);
    const [added] = JSON.parse(stdout) as { kid: string; status: string }[];
    expect(added?.status).toBe('upcoming');
    const jwks = (await (await fetch(`http://127.0.0.1:${port}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(added?.kid);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(join(cwd, '.tessera', 'server.json'))).toBe(false);
  });
});

describe('offline commands', () => {
  it('`tessera config check` prints the effective config with secrets masked', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
    const { stdout } = await cli(['config', 'check'], cwd, {
      TESSERA_ISSUER: 'https://auth.example.com',
      TESSERA_MASTER_KEY: 'ab'.repeat(32),
      TESSERA_TRUST_PROXY: '1',
    });
    expect(stdout).toContain('"masterKey": "********"');
    expect(stdout).not.toContain('ab'.repeat(32));
    expect(stdout).toContain('Configuration is valid.');
  });

  it('a bad value stops with one message naming the key and exit code 1', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
    const failure = await cli(['serve', '--dev'], cwd, { TESSERA_PORT: 'http' }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr.trim()).toMatch(
      /^tessera: Invalid configuration: port \(TESSERA_PORT\)/,
    );
    expect((failure as { stderr: string }).stderr).not.toMatch(/\n\s+at /);
  });

  it('outside --dev a missing master key stops startup with a clear message', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
    const failure = await cli(['serve'], cwd, {
      TESSERA_ISSUER: 'https://auth.example.com',
      TESSERA_TRUST_PROXY: '1',
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(/masterKey.*required outside --dev/);
  });

  it('`tessera migrate` applies the migrations alone, then reports the database up to date', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
    const env = { TESSERA_DATABASE_URL: join(cwd, 'db.sqlite') };
    const first = await cli(['migrate', '--data-dir', cwd], cwd, {
      ...env,
      TESSERA_ISSUER: 'https://a.example',
      TESSERA_TRUST_PROXY: '1',
      TESSERA_MASTER_KEY: 'ab'.repeat(32),
    });
    expect(first.stdout).toMatch(/^Applied 0001/);
    const second = await cli(['migrate'], cwd, {
      ...env,
      TESSERA_ISSUER: 'https://a.example',
      TESSERA_TRUST_PROXY: '1',
      TESSERA_MASTER_KEY: 'ab'.repeat(32),
    });
    expect(second.stdout).toMatch(/up to date/);
  });
});

describe('tessera serve --dev --port 0 — the issuer names the port it listens on (RFC 8414 §3.3, OpenID Connect Discovery §4.3)', () => {
  let child: ChildProcess | undefined;

  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('announces, serves in discovery and signs with the chosen port, never `:0`', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
    const started = await serveDev(['--port', '0'], cwd);
    child = started.child;
    const { banner } = started;
    const url = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(banner);
    expect(Number(url?.[2])).toBeGreaterThan(0);
    const origin = url?.[1] ?? '';
    expect(banner).toContain(`issuer ${origin} `);
    const discovery = await (await fetch(`${origin}/.well-known/openid-configuration`)).json();
    expect(discovery.issuer).toBe(origin);
    expect(discovery.token_endpoint).toBe(`${origin}/token`);
  });
});
