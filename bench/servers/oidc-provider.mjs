/**
 * The peer: node-oidc-provider v9 configured like Tessera's client-credentials benchmark — one
 * confidential client (client_secret_basic), the client_credentials grant, JWT access tokens (RFC
 * 9068) signed ES256 for a default resource, so a request without `resource` gets a JWT; a request
 * with `resource=https://opaque.bench.local` (RFC 8707) gets the library's opaque access token,
 * stored through its adapter — the default in-memory one (an LRU of 1,000 entries, nothing
 * written to disk; node-oidc-provider's docs say to bring a real adapter for production).
 * Production mode (NODE_ENV=production), behind a "proxy" (https issuer, plain http on loopback),
 * as Tessera runs in the benchmark.
 * Usage: node servers/oidc-provider.mjs <port> <client_id> <client_secret>; prints "ready <port>".
 */
import Provider from 'oidc-provider';
import { keyPair } from '../lib/key-pair.mjs';

const [portArg, clientId, clientSecret] = process.argv.slice(2);
const RESOURCE = 'https://api.bench.local';
const OPAQUE_RESOURCE = 'https://opaque.bench.local';

const { privateKey } = keyPair('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-es256', alg: 'ES256', use: 'sig' };

const provider = new Provider('https://peer.bench.local', {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'read',
    },
  ],
  jwks: { keys: [jwk] },
  scopes: ['read'],
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  ttl: { ClientCredentials: 600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) =>
        indicator === OPAQUE_RESOURCE
          ? { scope: 'read', audience: OPAQUE_RESOURCE, accessTokenTTL: 600, accessTokenFormat: 'opaque' }
          : {
              scope: 'read',
              audience: RESOURCE,
              accessTokenTTL: 600,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg: 'ES256' } },
            },
    },
  },
});
provider.proxy = true;

const server = provider.listen(Number(portArg ?? 0), '127.0.0.1', () => {
  process.stdout.write(`ready ${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
});
