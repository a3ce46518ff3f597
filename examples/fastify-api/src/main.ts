/**
 * Runs the example: `npm start` (from examples/fastify-api) with, in the environment, `ISSUER`
 * (Tessera, default http://127.0.0.1:4000), `AUDIENCE` (this API's identifier, default
 * http://127.0.0.1:3000), `PORT` (default 3000) and optionally `CLIENT_ID` / `CLIENT_SECRET`
 * (this API's own client at Tessera: revocation stream, opaque tokens, API keys).
 */
import { createVerifier } from '@tessera/verify';
import { createApp } from './app.js';

const issuer = process.env.ISSUER ?? 'http://127.0.0.1:4000';
const audience = process.env.AUDIENCE ?? 'http://127.0.0.1:3000';
const port = Number(process.env.PORT ?? 3000);
const { CLIENT_ID: clientId, CLIENT_SECRET: clientSecret } = process.env;

const verifier = createVerifier({
  issuer,
  audience,
  realm: 'fastify-api',
  ...(clientId && clientSecret ? { client: { clientId, clientSecret } } : {}),
});

const app = createApp(verifier);
app.addHook('onClose', () => verifier.close());
await app.listen({ host: '127.0.0.1', port });
console.log(`fastify-api on http://127.0.0.1:${port} (issuer ${issuer}, audience ${audience})`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void app.close());
}
