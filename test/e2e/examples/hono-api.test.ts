/** examples/hono-api: Hono on @hono/node-server + @tessera/verify/hono against a real Tessera. */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from '../../../examples/hono-api/src/app.js';
import { describeApiQuickstart } from './support/quickstart.js';

describeApiQuickstart('hono-api', 'hono-api', async (verifier) => {
  const { fetch } = createApp(verifier);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
