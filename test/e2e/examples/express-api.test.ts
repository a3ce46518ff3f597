/** examples/express-api: Express 5 + @tessera/verify/express against a real Tessera. */
import type { AddressInfo } from 'node:net';
import { createApp } from '../../../examples/express-api/src/app.js';
import { describeApiQuickstart } from './support/quickstart.js';

describeApiQuickstart('express-api', 'express-api', async (verifier) => {
  const server = createApp(verifier).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
});
