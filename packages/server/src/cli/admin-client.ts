/**
 * How online CLI commands reach a running server: its admin API, so the server's caches, bus and
 * revocation stream see every change (STYLE §9.1 "The CLI").
 *
 * The credential comes from `--admin-token-file PATH` (`-` for stdin), else `TESSERA_ADMIN_TOKEN`
 * (config, or `TESSERA_ADMIN_TOKEN_FILE`), else the `admin.token` generated in the data folder in
 * --dev; never from argv, where shell history and `ps` would keep it.
 *
 * The server URL comes from `--url`, else the configured issuer. The `server.json` that
 * `tessera serve` writes in the data folder (by default in the current folder) is followed only in
 * --dev or when the credential is that same folder's dev `admin.token`: a file planted in a folder
 * must never make the CLI send a configured credential elsewhere. The credential only travels over
 * https, or plain http to a loopback address.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { explainTls } from './explain.js';

export interface AdminClientOptions {
  url?: string | undefined;
  /** The credential itself (programmatic use; the CLI never takes it from argv). */
  adminToken?: string | undefined;
  /** A file holding the credential, or `-` for stdin. */
  adminTokenFile?: string | undefined;
  /** Reads stdin for `-`; injectable for tests. */
  readStdin?: () => string;
}

/** True for `localhost`, 127.0.0.0/8 and ::1: plain http never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function assertSafeUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`The admin API URL is not a URL: ${url}`);
  }
  if (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname))) {
    return;
  }
  throw new Error(
    `Refusing to send the admin credential to ${parsed.origin}: use https (plain http only to a loopback address)`,
  );
}

function readCredentialFile(path: string, readStdin: () => string): string {
  try {
    const text = (path === '-' ? readStdin() : readFileSync(path, 'utf8')).trim();
    if (text.length === 0) {
      throw new Error('empty');
    }
    return text;
  } catch (error) {
    throw new Error(
      `Cannot read the admin credential from ${path === '-' ? 'stdin' : path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

export class AdminApiError extends Error {
  override readonly name = 'AdminApiError';
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    const described =
      typeof body === 'object' && body !== null && 'error' in body
        ? `${String((body as Record<string, unknown>).error)}: ${String((body as Record<string, unknown>).error_description ?? '')}`
        : `HTTP ${status}`;
    super(described);
  }
}

export interface AdminClient {
  readonly url: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

export function serverInfoPath(config: Readonly<Config>): string {
  return join(resolve(config.dataDir), 'server.json');
}

export function createAdminClient(config: Readonly<Config>, options: AdminClientOptions = {}): AdminClient {
  const readStdin = options.readStdin ?? (() => readFileSync(0, 'utf8'));
  const given =
    options.adminToken ??
    (options.adminTokenFile === undefined
      ? undefined
      : readCredentialFile(options.adminTokenFile, readStdin)) ??
    config.adminToken;
  const devToken =
    given === undefined ? readIfExists(join(resolve(config.dataDir), 'admin.token')) : undefined;
  const token = given ?? devToken;
  if (token === undefined) {
    throw new Error(
      'No admin credential: pass --admin-token-file PATH (- for stdin) or set TESSERA_ADMIN_TOKEN (or TESSERA_ADMIN_TOKEN_FILE)',
    );
  }
  // The data folder's server.json names the server only for its own dev credential (or in --dev).
  const info = config.dev || devToken !== undefined ? readIfExists(serverInfoPath(config)) : undefined;
  const recorded = info === undefined ? undefined : (JSON.parse(info) as { url?: string }).url;
  const url = (options.url ?? recorded ?? config.issuer)?.replace(/\/$/, '');
  if (url === undefined) {
    throw new Error(
      'Cannot find the server: pass --url, set TESSERA_ISSUER, or run this next to a server started with `tessera serve --dev`',
    );
  }
  assertSafeUrl(url);
  return {
    url,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      let response: Response;
      try {
        response = await fetch(url + path, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (error) {
        throw new Error(
          explainTls(error, `the Tessera server at ${url}`) ??
            `Cannot reach the Tessera server at ${url} (is it running?): ${(error as Error).message}`,
        );
      }
      const text = await response.text();
      const parsed: unknown = text.length === 0 ? undefined : JSON.parse(text);
      if (!response.ok) {
        throw new AdminApiError(response.status, parsed);
      }
      return parsed as T;
    },
  };
}
