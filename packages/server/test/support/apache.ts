/**
 * Debian's Apache httpd for interop tests (issue 19 item 3): our own `apache2 -X` (one process, in
 * the foreground) from a generated httpd.conf in a temporary ServerRoot, on a free loopback port,
 * loading modules from /usr/lib/apache2/modules. The system's Apache (port 80, /etc/apache2) is
 * never used. Also a tiny backend that answers with the request headers it got, so a test sees
 * what Apache passed on behind a protected location.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './listening.js';
import { waitFor } from './wait-for.js';

export const APACHE = '/usr/sbin/apache2';
export const APACHE_MODULES = '/usr/lib/apache2/modules';

/** Modules every generated configuration loads (the MPM, access control, the reverse proxy). */
const BASE_MODULES = ['mpm_event', 'authn_core', 'authz_core', 'authz_user', 'proxy', 'proxy_http'];

/** True when the Apache binary and every named module (`oauth2`, `auth_openidc`, `ssl`) are installed. */
export function apacheInstalled(modules: string[]): boolean {
  return existsSync(APACHE) && modules.every((name) => existsSync(join(APACHE_MODULES, `mod_${name}.so`)));
}

export interface Apache {
  /** `http(s)://127.0.0.1:PORT` */
  url: string;
  /** The temporary ServerRoot (configuration, logs, anything the test writes for Apache). */
  root: string;
  errorLog(): string;
  close(): Promise<void>;
}

export interface ApacheOptions {
  /** Modules to load beyond the base set, by short name (`oauth2`, `auth_openidc`, `ssl`, …). */
  modules: string[];
  /** The rest of httpd.conf; `{{root}}` is replaced with the ServerRoot. */
  config: string;
  /** The port to listen on (when the configuration must name it); a free one by default. */
  port?: number;
  /** Serve https (the configuration then needs `SSLEngine on` and its certificate lines). */
  https?: boolean;
  /** A file to write into the ServerRoot before start (name → contents), e.g. a TLS key. */
  files?: Record<string, string>;
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startApache(options: ApacheOptions): Promise<Apache> {
  const root = mkdtempSync(join(tmpdir(), 'tessera-apache-'));
  // Run as root, Apache drops to `nobody` for requests; it reads files from here after that.
  chmodSync(root, 0o755);
  for (const [name, contents] of Object.entries(options.files ?? {})) {
    writeFileSync(join(root, name), contents, { mode: 0o644 });
  }
  const port = options.port ?? (await freePort());
  const url = `${options.https ? 'https' : 'http'}://127.0.0.1:${port}`;
  const asRoot = process.getuid?.() === 0;
  const conf = [
    `ServerRoot "${root}"`,
    'ServerName 127.0.0.1',
    `Listen 127.0.0.1:${port}`,
    `PidFile "${root}/httpd.pid"`,
    `DefaultRuntimeDir "${root}"`,
    `ErrorLog "${root}/error.log"`,
    'LogLevel warn',
    ...(asRoot ? ['User nobody', 'Group nogroup'] : []),
    ...[...BASE_MODULES, ...options.modules].map(
      (name) => `LoadModule ${name}_module ${APACHE_MODULES}/mod_${name}.so`,
    ),
    options.config.replaceAll('{{root}}', root),
    '',
  ].join('\n');
  writeFileSync(join(root, 'httpd.conf'), conf);

  const child: ChildProcess = spawn(APACHE, ['-X', '-d', root, '-f', join(root, 'httpd.conf')], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const errorLog = () => {
    const file = join(root, 'error.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) {
          throw new Error(`apache2 exited (${child.exitCode}): ${output}${errorLog()}`);
        }
        return connects(port);
      },
      { what: 'apache2 listens' },
    );
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    root,
    errorLog,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A backend that answers every request with the headers it received (what Apache passed on). */
export async function headerEcho(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ path: request.url, headers: request.headers }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
