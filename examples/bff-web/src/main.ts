/**
 * Runs the example: `npm run build && node examples/bff-web/dist/main.js` with
 * TESSERA_ISSUER, BFF_CLIENT_ID, BFF_CLIENT_SECRET, BFF_SESSION_KEY (64 hex chars), COOKIE_JAR_URL
 * and optionally BFF_BASE_URL (default http://localhost:3000) and COOKIE_JAR_RESOURCE.
 */
import { createBffWebApp } from './app.js';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    console.error(`${name} is required (see examples/bff-web/README.md)`);
    process.exit(1);
  }
  return value;
}

const baseUrl = process.env.BFF_BASE_URL ?? 'http://localhost:3000';
const app = createBffWebApp({
  issuer: required('TESSERA_ISSUER'),
  clientId: required('BFF_CLIENT_ID'),
  clientSecret: required('BFF_CLIENT_SECRET'),
  sessionKey: required('BFF_SESSION_KEY'),
  api: required('COOKIE_JAR_URL'),
  baseUrl,
  ...(process.env.COOKIE_JAR_RESOURCE === undefined ? {} : { resource: process.env.COOKIE_JAR_RESOURCE }),
});
const url = new URL(baseUrl);
app.listen(Number(url.port || 80), url.hostname === 'localhost' ? '127.0.0.1' : url.hostname, () => {
  console.log(`bff-web listening on ${baseUrl}`);
});
