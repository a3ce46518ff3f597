/** examples/fastify-api: Fastify + @tessera/verify/fastify against a real Tessera. */
import { createApp } from '../../../examples/fastify-api/src/app.js';
import { describeApiQuickstart } from './support/quickstart.js';

describeApiQuickstart('fastify-api', 'fastify-api', async (verifier) => {
  const app = createApp(verifier);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: () => app.close() };
});
