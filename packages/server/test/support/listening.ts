/**
 * A Tessera runtime listening on a real loopback port, with the issuer set to its own URL, for
 * interop tests with independent clients (openid-client, oauth4webapi, jose).
 */
import { createServer } from 'node:net';
import { bootstrap, type TestServer } from './bootstrap.js';

/** A port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function listeningServer(
  overrides: Record<string, unknown> = {},
  options: Parameters<typeof bootstrap>[1] = {},
): Promise<TestServer & { url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await bootstrap({ issuer: url, ...overrides }, options);
  await t.app.listen({ port, host: '127.0.0.1' });
  return Object.assign(t, { url });
}
