/**
 * createTokenClient with DPoP (RFC 9449) against a REAL Tessera that requires server nonces (§8),
 * calling an API protected by `@tessera/verify` that requires its own nonces (§9): the client
 * keeps one non-extractable key, gets DPoP-bound tokens, proves possession on every call (`ath`),
 * and retries once on each `use_dpop_nonce`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenClient } from '@tessera/client';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClient, type TestClient } from '../../server/test/support/clients.js';
import { protect } from '../../verify/src/adapters/node.js';
import { createVerifier, type Verifier } from '../../verify/src/index.js';
import { type ListeningTessera, startTessera } from './support/tessera.js';

const AUDIENCE = 'https://api.example.com';

let tessera: ListeningTessera;
let app: TestClient;
let verifier: Verifier;
let server: Server;
let apiUrl: string;
let calls = 0;

beforeAll(async () => {
  tessera = await startTessera({ 'dpop.requireNonce': true });
  app = await createTestClient(tessera.t, { audiences: [AUDIENCE] });
  const rs = await createTestClient(tessera.t, { grantTypes: [], permissions: ['introspect'] });
  verifier = createVerifier({
    issuer: tessera.issuer,
    audience: AUDIENCE,
    client: { clientId: rs.id, clientSecret: rs.secret },
    now: () => tessera.t.clock.now(),
    revocations: false,
    dpop: { nonce: true },
  });
  server = createServer((req, res) => {
    calls++;
    void protect(verifier, (_req, response, token) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ cnf: token.claims.cnf, method: _req.method }));
    })(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cookies`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await verifier?.close();
  await tessera?.close();
});

describe('RFC 9449 DPoP in createTokenClient', () => {
  it('RFC 9449 §5/§8 — the token request is retried once with the server nonce and the token is bound to the key', async () => {
    const client = createTokenClient({
      issuer: tessera.issuer,
      clientId: app.id,
      clientSecret: app.secret,
      clock: tessera.t.clock,
      dpop: true,
    });
    const before = await tessera.tokenRequests();
    const info = await client.getTokenInfo();
    expect(await tessera.tokenRequests()).toBe(before + 2);
    expect(info.tokenType.toLowerCase()).toBe('dpop');
    const jkt = await client.dpopThumbprint();
    expect(decodeJwt(info.accessToken).cnf).toEqual({ jkt });
  });

  it('RFC 9449 §7/§9 — fetch proves possession (GET and POST with a body), retrying once on the API nonce', async () => {
    const client = createTokenClient({
      issuer: tessera.issuer,
      clientId: app.id,
      clientSecret: app.secret,
      clock: tessera.t.clock,
      dpop: { algorithm: 'EdDSA' },
    });
    const before = calls;
    const first = await client.fetch(apiUrl);
    expect(first.status).toBe(200);
    expect((await first.json()).cnf).toEqual({ jkt: await client.dpopThumbprint() });
    // The first call had no API nonce: one 401 use_dpop_nonce, then the retry.
    expect(calls - before).toBe(2);
    const posted = await client.fetch(apiUrl, { method: 'POST', body: 'cookie=1' });
    expect(posted.status).toBe(200);
    expect((await posted.json()).method).toBe('POST');
    // The nonce is remembered for the origin: no second 401.
    expect(calls - before).toBe(3);
  });

  it('RFC 9449 §7.2 — without dpop the client gets a Bearer token, which the API still accepts', async () => {
    const client = createTokenClient({
      issuer: tessera.issuer,
      clientId: app.id,
      clientSecret: app.secret,
      clock: tessera.t.clock,
    });
    expect(await client.dpopThumbprint()).toBeUndefined();
    expect((await client.getTokenInfo()).tokenType.toLowerCase()).toBe('bearer');
    expect((await client.fetch(apiUrl)).status).toBe(200);
  });
});
