/**
 * Issue 12 item 6: a client's `jwks_uri` cannot reach inside the server's network (RFC 9700 §4.7,
 * OIDC Core §16.16), and its fetch is bounded in size, time and redirects. Only 127.0.0.1 is ever
 * contacted: the non-public addresses other than loopback are refused at registration (no fetch),
 * and the fetch-time checks are driven with names that resolve to loopback.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createJwksUriFetch } from '../../src/oauth/client-auth/jwks-uri-fetch.js';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form } from '../support/clients.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let privateKey: CryptoKey;
let publicJwk: JWK;
const servers: Server[] = [];

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
});
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A local server on 127.0.0.1 that counts the requests it gets. */
async function localServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{ port: number; hits: () => number }> {
  let hits = 0;
  const server = createServer((request, response) => {
    hits++;
    handler(request, response);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, hits: () => hits };
}

const serveKeys = (_request: IncomingMessage, response: ServerResponse) => {
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ keys: [publicJwk] }));
};

/** A token request authenticated by private_key_jwt for a client whose keys are at `jwksUri`. */
async function tokenWithJwksUri(t: TestServer, jwksUri: string) {
  const client = await createTestClient(t, {
    tokenEndpointAuthMethod: 'private_key_jwt',
    secrets: [],
    jwksUri,
  });
  const assertion = await new SignJWT({
    iss: client.id,
    sub: client.id,
    aud: TEST_ISSUER,
    exp: t.clock.now() + 60,
    jti: `j-${Math.random()}`,
  })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .sign(privateKey);
  return t.app.inject({
    method: 'POST',
    url: '/token',
    headers: FORM,
    payload: form({
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion,
    }),
  });
}

describe('issue 12 item 6 — jwks_uri at registration', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await bootstrap();
  });
  afterAll(() => t.close());

  it.each([
    'https://169.254.169.254/latest/meta-data/jwks',
    'https://10.0.0.1/jwks',
    'https://10.255.0.7:8443/jwks',
    'https://[::1]/jwks',
    'https://[::ffff:169.254.169.254]/jwks',
    'https://localhost/jwks',
    'http://localhost:8080/jwks',
    'http://127.0.0.1:8080/jwks',
    'https://0xa9fea9fe/jwks',
    'https://100.64.0.1/jwks',
    'https://[fd12::1]/jwks',
    'https://[fe80::1]/jwks',
    'https://224.0.0.251/jwks',
  ])('RFC 9700 §4.7 — jwks_uri %s → 400 invalid_client_metadata, nothing stored', async (jwksUri) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: t.adminHeaders,
      payload: {
        name: 'ssrf',
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['client_credentials'],
        jwks_uri: jwksUri,
      },
    });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error).toBe('invalid_client_metadata');
    expect(response.json().error_description).toContain('jwks_uri');
    expect(await t.store.countClients()).toBe(0);
  });

  it('a public https jwks_uri is still accepted', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: t.adminHeaders,
      payload: {
        name: 'ok',
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['client_credentials'],
        jwks_uri: 'https://keys.example.com/jwks',
      },
    });
    expect(response.statusCode, response.body).toBe(201);
  });
});

describe('issue 12 item 6 — jwks_uri at fetch time, without clients.allowPrivateJwksUri', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await bootstrap();
  });
  afterAll(() => t.close());

  it('a stored jwks_uri whose host (localhost) resolves to loopback → 401 invalid_client, never fetched', async () => {
    const keys = await localServer(serveKeys);
    const response = await tokenWithJwksUri(t, `http://localhost:${keys.port}/jwks`);
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
    expect(keys.hits()).toBe(0);
  });

  it('a name that resolves to 127.0.0.1 is refused after resolution, before any connection', async () => {
    const keys = await localServer(serveKeys);
    const fetchJwks = createJwksUriFetch({
      allowPrivate: false,
      maxBytes: 65_536,
      timeoutMs: 5_000,
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    await expect(fetchJwks(`http://keys.test:${keys.port}/jwks`, {})).rejects.toThrow(
      /non-public address 127\.0\.0\.1/,
    );
    expect(keys.hits()).toBe(0);
  });

  it('a name with one public and one loopback address is refused (every address is checked)', async () => {
    const keys = await localServer(serveKeys);
    const fetchJwks = createJwksUriFetch({
      allowPrivate: false,
      maxBytes: 65_536,
      timeoutMs: 5_000,
      resolve: async () => [
        { address: '93.184.215.14', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
    });
    await expect(fetchJwks(`http://keys.test:${keys.port}/jwks`, {})).rejects.toThrow(/non-public/);
    expect(keys.hits()).toBe(0);
  });

  it('the connection goes to the checked address, not to a second lookup (no DNS rebinding)', async () => {
    const keys = await localServer(serveKeys);
    const fetchJwks = createJwksUriFetch({
      allowPrivate: true,
      maxBytes: 65_536,
      timeoutMs: 5_000,
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    // keys.test has no DNS entry: the fetch can only work by connecting to the resolved address.
    const response = await fetchJwks(`http://keys.test:${keys.port}/jwks`, {});
    expect(response.status).toBe(200);
    expect(((await response.json()) as { keys: unknown[] }).keys).toHaveLength(1);
  });
});

describe('issue 12 item 6 — a jwks_uri fetch is bounded (clients.allowPrivateJwksUri on, 127.0.0.1 only)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await bootstrap({
      'clients.allowPrivateJwksUri': true,
      'clients.jwksMaxBytes': 4096,
      'clients.jwksFetchTimeout': '1s',
    });
  });
  afterAll(() => t.close());

  it('the setting lets a loopback jwks_uri work', async () => {
    const keys = await localServer(serveKeys);
    const response = await tokenWithJwksUri(t, `http://127.0.0.1:${keys.port}/jwks`);
    expect(response.statusCode, response.body).toBe(200);
    expect(keys.hits()).toBe(1);
  });

  it('an oversized JWKS (declared length) → 401 invalid_client', async () => {
    const keys = await localServer((_request, response) => {
      const body = JSON.stringify({ keys: [publicJwk], padding: 'x'.repeat(10_000) });
      response.setHeader('content-type', 'application/json');
      response.end(body);
    });
    const response = await tokenWithJwksUri(t, `http://127.0.0.1:${keys.port}/jwks`);
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('an oversized JWKS (chunked, no length) → 401 invalid_client', async () => {
    const keys = await localServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.write(`{"keys":[${JSON.stringify(publicJwk)}],"padding":"`);
      for (let i = 0; i < 10; i++) {
        response.write('x'.repeat(1000));
      }
      response.end('"}');
    });
    const response = await tokenWithJwksUri(t, `http://127.0.0.1:${keys.port}/jwks`);
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('a JWKS server that never finishes its body → 401 invalid_client once the timeout passes (no hang)', async () => {
    const keys = await localServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.write('{"keys":[');
      // …and nothing more: the server-side connection stays open until the test closes it.
    });
    const response = await tokenWithJwksUri(t, `http://127.0.0.1:${keys.port}/jwks`);
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('a redirect is not followed → 401 invalid_client, the target never hit', async () => {
    const target = await localServer(serveKeys);
    const keys = await localServer((_request, response) => {
      response.statusCode = 302;
      response.setHeader('location', `http://127.0.0.1:${target.port}/jwks`);
      response.end();
    });
    const response = await tokenWithJwksUri(t, `http://127.0.0.1:${keys.port}/jwks`);
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
    expect(target.hits()).toBe(0);
  });
});
