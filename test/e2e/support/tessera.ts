/**
 * The Tessera every Chromium end-to-end test runs against: a real runtime (in-memory SQLite) on a
 * free loopback port, an admin API helper, and the relying party's callback endpoint.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../../packages/server/src/config/load.js';
import { createLogger } from '../../../packages/server/src/log.js';
import { createRuntime, type Runtime, type StartOptions } from '../../../packages/server/src/main.js';
import { freePort } from '../../../packages/server/test/support/listening.js';

export const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdefghijklmnopqrstuvwxyz';
export const MASTER_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
export const PASSWORD = 'a long enough passphrase';
/** The person most tests sign in as (POST /admin/users body). */
export const ALICE = { username: 'alice', password: PASSWORD, email: 'alice@example.com', name: 'Alice' };

export interface E2eTessera {
  runtime: Runtime;
  issuer: string;
  /** Calls the admin API with the admin token; throws on any non-2xx answer. */
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startE2eTessera(
  options: {
    /** The issuer's host name: `localhost` where WebAuthn needs a domain, else `127.0.0.1`. */
    hostname?: 'localhost' | '127.0.0.1';
    /** More configuration keys (loadConfig overrides). */
    overrides?: Record<string, unknown>;
    /** A stand-in for argon2 (a test that holds every password check). */
    passwordHasher?: StartOptions['passwordHasher'];
  } = {},
): Promise<E2eTessera> {
  const port = await freePort();
  const issuer = `http://${options.hostname ?? '127.0.0.1'}:${port}`;
  const config = loadConfig({
    env: {},
    overrides: {
      dev: true,
      issuer,
      host: '127.0.0.1',
      port,
      'database.url': ':memory:',
      masterKey: MASTER_KEY,
      adminToken: ADMIN_TOKEN,
      'log.level': 'silent',
      ...options.overrides,
    },
  });
  const runtime = await createRuntime(config, {
    logger: createLogger({ level: 'silent' }),
    ...(options.passwordHasher === undefined ? {} : { passwordHasher: options.passwordHasher }),
  });
  await runtime.app.listen({ host: '127.0.0.1', port });

  async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(issuer + path, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`${method} ${path}: ${response.status} ${text}`);
    }
    return JSON.parse(text) as T;
  }

  return { runtime, issuer, admin, close: () => runtime.close() };
}

export interface CallbackApp {
  url: string;
  close(): void;
}

/** The relying party's own endpoint on a free port: it only has to exist for the browser to land on. */
export async function startCallbackApp(text = 'back at the app'): Promise<CallbackApp> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' }).end(text);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => server.close(),
  };
}
