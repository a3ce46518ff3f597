/**
 * How online CLI commands reach a running server: its admin API, so the server's caches, bus and
 * revocation stream see every change (STYLE §9.1 "The CLI").
 *
 * The server URL comes from `--url`, else the `server.json` that `tessera serve` writes in the data
 * folder, else the configured issuer. The credential comes from `--admin-token`, else
 * `TESSERA_ADMIN_TOKEN` (config), else the `admin.token` generated in the data folder in --dev.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';

export interface AdminClientOptions {
  url?: string | undefined;
  adminToken?: string | undefined;
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
  const info = readIfExists(serverInfoPath(config));
  const recorded = info === undefined ? undefined : (JSON.parse(info) as { url?: string }).url;
  const url = (options.url ?? recorded ?? config.issuer)?.replace(/\/$/, '');
  if (url === undefined) {
    throw new Error(
      'Cannot find the server: pass --url, or run this next to a server started with `tessera serve`',
    );
  }
  const token =
    options.adminToken ?? config.adminToken ?? readIfExists(join(resolve(config.dataDir), 'admin.token'));
  if (token === undefined) {
    throw new Error('No admin credential: pass --admin-token or set TESSERA_ADMIN_TOKEN');
  }
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
