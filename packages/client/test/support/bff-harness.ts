/**
 * Runs a BFF on a real port through one of its adapters (Express or Fastify), and a minimal
 * cookie-keeping HTTP "browser" for it. The same behaviour suite runs through each adapter.
 */
import type { AddressInfo } from 'node:net';
import { type Bff, type BffOptions, createBff } from '@tessera/client/bff';
import { bffMiddleware } from '@tessera/client/bff/express';
import { bffPlugin } from '@tessera/client/bff/fastify';
import express from 'express';
import Fastify from 'fastify';
import { freePort } from './tessera.js';

export type AdapterName = 'express' | 'fastify';

export interface RunningBff {
  bff: Bff;
  url: string;
  close(): Promise<void>;
}

export async function startBff(
  adapter: AdapterName,
  options: Omit<BffOptions, 'baseUrl'>,
  port?: number,
): Promise<RunningBff> {
  const listenPort = port ?? (await freePort());
  const url = `http://127.0.0.1:${listenPort}`;
  const bff = createBff({ ...options, baseUrl: url } as BffOptions);
  if (adapter === 'express') {
    const app = express();
    app.use(bffMiddleware(bff));
    app.get('/', (_req, res) => {
      res.type('text/plain').send('home');
    });
    const server = await new Promise<import('node:http').Server>((resolve) => {
      const s = app.listen(listenPort, '127.0.0.1', () => resolve(s));
    });
    return {
      bff,
      url,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }
  const app = Fastify();
  await app.register(bffPlugin, { bff });
  app.get('/', async () => 'home');
  await app.listen({ host: '127.0.0.1', port: listenPort });
  void (app.server.address() as AddressInfo);
  return { bff, url, close: () => app.close() };
}

/** Keeps the BFF's session cookie like a browser would, and nothing else. */
export class CookieBrowser {
  cookie: string | undefined;
  lastSetCookie: string | undefined;
  constructor(readonly base: string) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie !== undefined) {
      headers.set('cookie', this.cookie);
    }
    const response = await fetch(new URL(path, this.base), { ...init, headers, redirect: 'manual' });
    const set = response.headers.get('set-cookie');
    if (set !== null) {
      this.lastSetCookie = set;
      const [pair] = set.split(';');
      this.cookie = pair === undefined || /max-age=0/i.test(set) || pair.endsWith('=') ? undefined : pair;
    }
    return response;
  }

  /** A same-origin API call, as the example page makes it. */
  api(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('x-requested-with', 'fetch');
    return this.fetch(path, { ...init, headers });
  }
}
