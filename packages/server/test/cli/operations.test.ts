/**
 * The operator's first commands with the built `tessera` binary (issue 19 "Operations" and
 * "Developer errors that say what to do"): `--version`, `init`, `migrate` and `config check` with
 * only what they use, every configuration problem at once, and the first failures an operator meets
 * (a port in use, a database that cannot be reached, a certificate Node does not trust) worded as
 * the setting to change. `npm test` builds before testing, so `dist/` is current.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const BIN = new URL('../../dist/cli/bin.js', import.meta.url).pathname;
const TLS = new URL('../fixtures/tls/', import.meta.url).pathname;
const execFileP = promisify(execFile);
const STEP_HANG_MS = 30_000;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with only PATH and `env` in its environment (nothing leaks in from this shell). */
async function cli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', TESSERA_LOG_LEVEL: 'warn', ...env },
      timeout: STEP_HANG_MS,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'tessera-ops-'));
}

/** The environment `tessera.env` names (what systemd's EnvironmentFile= would set). */
function envFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      env[match[1]] = match[2];
    }
  }
  return env;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) {
    await close();
  }
});

beforeAll(() => {
  expect(existsSync(BIN), 'dist is built (npm test runs tsc -b first)').toBe(true);
});

describe('tessera --version', () => {
  it("prints @tessera/server's version", async () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const result = await cli(['--version'], scratch());
    expect(result).toMatchObject({ code: 0, stdout: `${manifest.version}\n` });
  });
});

describe('tessera init', () => {
  it('writes a production config, a master key and an admin credential (0600) that config check and migrate accept, and refuses to overwrite them', async () => {
    const cwd = scratch();
    const result = await cli(['init', '--issuer', 'https://auth.example.com', '--dir', 'etc'], cwd);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Next steps:');
    const dir = join(cwd, 'etc');
    for (const secret of ['master.key', 'admin.token', 'tessera.env']) {
      expect(statSync(join(dir, secret)).mode & 0o777, secret).toBe(0o600);
    }
    expect(readFileSync(join(dir, 'master.key'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(readFileSync(join(dir, 'admin.token'), 'utf8')).toMatch(/^tsr_adm_/);
    const config = JSON.parse(readFileSync(join(dir, 'tessera.config.json'), 'utf8'));
    expect(config).toMatchObject({ issuer: 'https://auth.example.com', trustProxy: 1, host: '127.0.0.1' });
    // No secret in the config file: they are named by the environment file.
    expect(JSON.stringify(config)).not.toContain(readFileSync(join(dir, 'master.key'), 'utf8').trim());

    const env = envFile(join(dir, 'tessera.env'));
    const configFile = join(dir, 'tessera.config.json');
    const check = await cli(['--config', configFile, 'config', 'check'], cwd, env);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('Configuration is valid.');
    const migrate = await cli(['--config', configFile, 'migrate'], cwd, env);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(existsSync(join(dir, 'data', 'tessera.db'))).toBe(true);

    const masterKey = readFileSync(join(dir, 'master.key'), 'utf8');
    const again = await cli(['init', '--issuer', 'https://auth.example.com', '--dir', 'etc'], cwd);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Refusing to overwrite');
    // A replaced master key could no longer open the signing keys the first one sealed.
    expect(readFileSync(join(dir, 'master.key'), 'utf8')).toBe(masterKey);
  });
});

describe('migrate and config check', () => {
  it('`tessera migrate` needs only the database: no issuer, TLS or master key', async () => {
    const cwd = scratch();
    const result = await cli(['migrate', '--data-dir', 'data'], cwd);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Applied 0001-initial');
  });

  it('`tessera config check` reports every problem at once: invalid values and the production rules', async () => {
    const result = await cli(['config', 'check'], scratch(), {
      TESSERA_PORT: 'abc',
      TESSERA_TRUST_PROXY: 'true',
      TESSERA_LOG_LEVEL: 'loud',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('5 configuration problems:');
    for (const named of [
      'port (TESSERA_PORT)',
      'log.level (TESSERA_LOG_LEVEL)',
      'issuer (TESSERA_ISSUER) is required',
      'trustProxy (TESSERA_TRUST_PROXY) true',
      'masterKey (TESSERA_MASTER_KEY or TESSERA_MASTER_KEY_FILE) is required',
    ]) {
      expect(result.stderr).toContain(named);
    }
  });
});

describe('errors that name the setting to change', () => {
  it('a port in use names the port, the process holding it and the setting', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => holder.close(() => resolve())));
    const port = (holder.address() as { port: number }).port;
    const result = await cli(['serve', '--dev', '--port', String(port)], scratch());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use by pid ${process.pid}`);
    expect(result.stderr).toContain('--port, TESSERA_PORT or "port" in the config file');
  });

  it('an unreachable database names database.url and hides the password', async () => {
    const result = await cli(['migrate'], scratch(), {
      TESSERA_DATABASE_URL: 'postgres://tessera:hunter2secret@127.0.0.1:1/tessera',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('database.url (TESSERA_DATABASE_URL)');
    expect(result.stderr).toContain('postgres://***@127.0.0.1:1/tessera');
    expect(result.stderr).not.toContain('hunter2secret');
  });

  it('a server certificate Node does not trust is explained with NODE_EXTRA_CA_CERTS, which then fixes it', async () => {
    const server = createHttpsServer(
      { cert: readFileSync(join(TLS, 'cert.pem')), key: readFileSync(join(TLS, 'key.pem')) },
      (_req, res) => {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":"not_found","error_description":"nothing here"}');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
    const cwd = scratch();
    const env = { TESSERA_ADMIN_TOKEN: `tsr_adm_${'x'.repeat(40)}` };
    const untrusted = await cli(['--url', url, 'clients', 'list'], cwd, env);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain('Node does not trust the TLS certificate of the Tessera server');
    expect(untrusted.stderr).toContain('NODE_EXTRA_CA_CERTS=');

    const trusted = await cli(['--url', url, 'clients', 'list'], cwd, {
      ...env,
      NODE_EXTRA_CA_CERTS: join(TLS, 'cert.pem'),
    });
    expect(trusted.stderr).not.toContain('TLS certificate');
    expect(trusted.stderr).toContain('not_found');
  });
});
