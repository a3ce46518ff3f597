/**
 * examples/next-api: Next.js route handlers + @tessera/verify against a real Tessera. The example
 * is built with `next build` (it loads @tessera/verify from packages/verify/dist: `tsc -b` first)
 * and served in this process by Next's own request handler on a free port.
 */
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describeApiQuickstart } from './support/quickstart.js';

/** The part of Next's custom-server API used here (typed locally: next's types redeclare `process.env`). */
type NextServer = (options: { dir: string; dev: boolean; hostname: string }) => {
  prepare(): Promise<void>;
  getRequestHandler(): (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  close(): Promise<void>;
};
const next = createRequire(import.meta.url)('next') as NextServer;

const dir = fileURLToPath(new URL('../../../examples/next-api', import.meta.url));

describeApiQuickstart(
  'next-api',
  'next-api',
  async (_verifier, config) => {
    const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
    await promisify(execFile)(
      process.execPath,
      [fileURLToPath(import.meta.resolve('next/dist/bin/next')), 'build'],
      {
        cwd: dir,
        env,
      },
    );
    // What `npm start` reads from the environment (lib/tessera.ts), read at the first request.
    Object.assign(process.env, {
      NEXT_TELEMETRY_DISABLED: '1',
      ISSUER: config.issuer,
      AUDIENCE: config.audience,
      CLIENT_ID: config.client.clientId,
      CLIENT_SECRET: config.client.clientSecret,
    });
    const app = next({ dir, dev: false, hostname: '127.0.0.1' });
    await app.prepare();
    const handle = app.getRequestHandler();
    const server = createServer((request, response) => void handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      async close() {
        await new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        });
        await app.close();
      },
    };
  },
  180_000,
);
