/**
 * DPoP interop (RFC 9449) with independent, certified clients, unmodified: oauth4webapi v3 and
 * openid-client v6 get a DPoP-bound token from a listening Tessera that requires server nonces
 * (§8), then call an API protected by `@tessera/verify` (node:http adapter) that requires its own
 * nonces (§9). Each client must handle both `use_dpop_nonce` answers (the token endpoint's 400, the
 * resource server's 401) the way the RFC says.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protect } from '../src/adapters/node.js';
import { createVerifier, type Verifier } from '../src/index.js';
import {
  API,
  createApiServerClient,
  type RegisteredClient,
  startTessera,
  type Tessera,
} from './support/tessera.js';

let t: Tessera;
let app: RegisteredClient;
let verifier: Verifier;
let server: Server;
let apiUrl: string;

beforeAll(async () => {
  t = await startTessera({ 'dpop.requireNonce': true });
  app = await t.createClient();
  const api = await createApiServerClient(t);
  verifier = createVerifier({
    issuer: t.url,
    audience: API,
    realm: 'cookie-jar',
    client: { clientId: api.clientId, clientSecret: api.clientSecret },
    now: () => t.clock.now(),
    revocations: false,
    dpop: { nonce: true },
  });
  server = createServer(
    protect(verifier, (_req, res, token) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ subject: token.subject, cnf: token.claims.cnf }));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cookies`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await verifier.close();
  await t.close();
});

describe('oauth4webapi v3 DPoP', () => {
  it('RFC 9449 §5/§8 and §7/§9 — gets a bound token (retrying on use_dpop_nonce) and uses it at the API', async () => {
    const issuer = new URL(t.url);
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }),
    );
    expect(as.dpop_signing_alg_values_supported).toContain('ES256');
    const client: oauth.Client = { client_id: app.clientId };
    const auth = oauth.ClientSecretBasic(app.clientSecret);
    const keyPair = await oauth.generateKeyPair('ES256');
    const DPoP = oauth.DPoP(client, keyPair);
    const options = { DPoP, [oauth.allowInsecureRequests]: true };

    const request = () =>
      oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'cookies:read' }, options);
    let tokens: oauth.TokenEndpointResponse;
    let retried = false;
    try {
      tokens = await oauth.processClientCredentialsResponse(as, client, await request());
    } catch (error) {
      // RFC 9449 §8: the first request has no nonce; the handle kept the DPoP-Nonce for the retry.
      expect(oauth.isDPoPNonceError(error)).toBe(true);
      retried = true;
      tokens = await oauth.processClientCredentialsResponse(as, client, await request());
    }
    expect(retried).toBe(true);
    expect(tokens.token_type).toBe('dpop');

    const call = () =>
      oauth.protectedResourceRequest(
        tokens.access_token,
        'GET',
        new URL(apiUrl),
        new Headers(),
        null,
        options,
      );
    let response: Response;
    try {
      response = await call();
      expect(response.status).toBe(401);
    } catch (error) {
      // RFC 9449 §9: the resource server's own nonce, then one retry.
      expect(oauth.isDPoPNonceError(error)).toBe(true);
      response = await call();
    }
    expect(response.status).toBe(200);
    expect((await response.json()).cnf.jkt).toBe(await jktOf(keyPair));
  });
});

describe('openid-client v6 DPoP', () => {
  it('RFC 9449 §5/§8 and §7/§9 — clientCredentialsGrant and fetchProtectedResource with a DPoP handle', async () => {
    const config = await openid.discovery(
      new URL(t.url),
      app.clientId,
      undefined,
      openid.ClientSecretBasic(app.clientSecret),
      { execute: [openid.allowInsecureRequests], algorithm: 'oauth2' },
    );
    const keyPair = await openid.randomDPoPKeyPair('ES256');
    const DPoP = openid.getDPoPHandle(config, keyPair);
    // openid-client retries once on use_dpop_nonce by itself, at both servers.
    const tokens = await openid.clientCredentialsGrant(config, { scope: 'cookies:read' }, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    const response = await openid.fetchProtectedResource(
      config,
      tokens.access_token,
      new URL(apiUrl),
      'GET',
      undefined,
      undefined,
      { DPoP },
    );
    expect(response.status).toBe(200);
    expect((await response.json()).cnf.jkt).toBe(await jktOf(keyPair));
  });
});

async function jktOf(keyPair: CryptoKeyPair): Promise<string> {
  const { calculateJwkThumbprint, exportJWK } = await import('jose');
  return calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
}
