/**
 * Issue 16 item 1: DID clients. A `client_id` that is a DID authenticates with `private_key_jwt`
 * (RFC 7523 §2.2, §3) using a key its DID document names; never registered, bounded by the
 * unregistered-client policy; off unless `clients.didMethods` names the method; blockable and
 * pre-registrable by an admin.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Resolver } from 'did-resolver';
import { decodeJwt, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import KeyDidResolver from 'key-did-resolver';
import { base58btc } from 'multiformats/bases/base58';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authenticationKeys, didWebUrl } from '../../src/oauth/client-resolution/did.js';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form } from '../support/clients.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const CERT = fileURLToPath(new URL('../fixtures/tls/cert.pem', import.meta.url));
const KEY = fileURLToPath(new URL('../fixtures/tls/key.pem', import.meta.url));

interface DidKeyPair {
  did: string;
  privateKey: CryptoKey;
  alg: 'EdDSA' | 'ES256';
  publicJwk: JWK;
}

/** A did:key for a fresh Ed25519 key: multicodec ed25519-pub (0xed 0x01) + key, base58btc. */
async function ed25519DidKey(): Promise<DidKeyPair> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const raw = Buffer.from(publicJwk.x ?? '', 'base64url');
  const did = `did:key:${base58btc.encode(Uint8Array.from([0xed, 0x01, ...raw]))}`;
  return { did, privateKey, alg: 'EdDSA', publicJwk };
}

/** A did:jwk (did:jwk spec §2.1) for a fresh P-256 key. */
async function p256DidJwk(): Promise<DidKeyPair> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const { kty, crv, x, y } = await exportJWK(publicKey);
  const publicJwk = { kty, crv, x, y } as JWK;
  const did = `did:jwk:${Buffer.from(JSON.stringify(publicJwk)).toString('base64url')}`;
  return { did, privateKey, alg: 'ES256', publicJwk };
}

async function assertionFor(t: TestServer, key: DidKeyPair, overrides: Record<string, unknown> = {}) {
  return new SignJWT({
    iss: key.did,
    sub: key.did,
    aud: TEST_ISSUER,
    exp: t.clock.now() + 60,
    jti: `j-${Math.random()}`,
    ...overrides,
  })
    .setProtectedHeader({ alg: key.alg })
    .sign(key.privateKey);
}

async function clientCredentials(t: TestServer, key: DidKeyPair, extra: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/token',
    headers: FORM,
    payload: form({
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertionFor(t, key),
      ...extra,
    }),
  });
}

describe('did:key resolution against the W3C CCG did:key test vectors', () => {
  const resolver = new Resolver(KeyDidResolver.getResolver());

  it('P-256 (test-vectors/nist-curves.json) → the published publicKeyJwk', async () => {
    const did = 'did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv';
    const { didDocument } = await resolver.resolve(did);
    expect(didDocument).not.toBeNull();
    const [key] = authenticationKeys(didDocument ?? { id: did });
    expect(key).toEqual({
      kid: `${did}#zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv`,
      kty: 'EC',
      crv: 'P-256',
      x: 'igrFmi0whuihKnj9R3Om1SoMph72wUGeFaBbzG2vzns',
      y: 'efsX5b10x8yjyrj4ny3pGfLcY7Xby1KzgqOdqnsrJIM',
    });
  });

  it('Ed25519 (test-vectors/ed25519-x25519.json) → an OKP JWK of the 32-byte key', async () => {
    const did = 'did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th';
    const { didDocument } = await resolver.resolve(did);
    const keys = authenticationKeys(didDocument ?? { id: did });
    expect(keys).toHaveLength(1);
    // publicKeyBase58 of the vector: 8HH5gYEeNc3z7PYXmd54d4x6qAfCNrqQqEB3nS7Zfu7K.
    expect(keys[0]).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      x: Buffer.from(base58btc.baseDecode('8HH5gYEeNc3z7PYXmd54d4x6qAfCNrqQqEB3nS7Zfu7K')).toString(
        'base64url',
      ),
    });
  });

  it('did:web spec §3.2 — the method-specific id maps to an HTTPS URL', () => {
    expect(didWebUrl('w3c-ccg.github.io')?.href).toBe('https://w3c-ccg.github.io/.well-known/did.json');
    expect(didWebUrl('w3c-ccg.github.io:user:alice')?.href).toBe(
      'https://w3c-ccg.github.io/user/alice/did.json',
    );
    expect(didWebUrl('example.com%3A3000:user:alice')?.href).toBe(
      'https://example.com:3000/user/alice/did.json',
    );
    expect(didWebUrl('evil.com%2F@inside')).toBeUndefined();
    expect(didWebUrl('a%40b.example')).toBeUndefined();
  });
});

describe('issue 16 — unregistered DID clients get a client_credentials token (RFC 7523 §2.2)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await bootstrap({
      'clients.didMethods': 'key,jwk',
      'clients.unregisteredScope': 'agent:read',
      'clients.unregisteredAudiences': 'https://api.example.com',
    });
  });
  afterAll(() => t.close());

  it('a did:key (Ed25519) client, never registered, gets a token with sub = its DID', async () => {
    const key = await ed25519DidKey();
    const response = await clientCredentials(t, key);
    expect(response.statusCode, response.body).toBe(200);
    const claims = decodeJwt(response.json().access_token);
    expect(claims.sub).toBe(key.did);
    expect(claims.client_id).toBe(key.did);
    expect(claims.aud).toBe('https://api.example.com');
    expect(response.json().scope).toBe('agent:read');
    expect(await t.store.findClient(key.did)).toBeUndefined();
  });

  it('a did:jwk (P-256) client, never registered, gets a token', async () => {
    const key = await p256DidJwk();
    const response = await clientCredentials(t, key);
    expect(response.statusCode, response.body).toBe(200);
    expect(decodeJwt(response.json().access_token).sub).toBe(key.did);
  });

  it('the unregistered-client policy bounds the scope: more than it allows → invalid_scope (RFC 6749 §5.2)', async () => {
    const response = await clientCredentials(t, await ed25519DidKey(), { scope: 'agent:read admin' });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error).toBe('invalid_scope');
  });

  it('RFC 7523 §3 item 1–2 — an assertion signed by another key for the DID → invalid_client', async () => {
    const key = await ed25519DidKey();
    const other = await ed25519DidKey();
    const response = await clientCredentials(t, { ...key, privateKey: other.privateKey });
    expect(response.statusCode, response.body).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('RFC 7523 §3 item 7 — a replayed assertion (same jti) → invalid_client', async () => {
    const key = await ed25519DidKey();
    const assertion = await assertionFor(t, key);
    const send = () =>
      t.app.inject({
        method: 'POST',
        url: '/token',
        headers: FORM,
        payload: form({
          grant_type: 'client_credentials',
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: assertion,
        }),
      });
    expect((await send()).statusCode).toBe(200);
    const replay = await send();
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error).toBe('invalid_client');
  });

  it.each([
    ['not base58', 'did:key:z0OIl'],
    ['an unknown multicodec', `did:key:${base58btc.encode(Uint8Array.from([0x99, 0x01, 1, 2, 3]))}`],
    ['did:jwk that is not JSON', 'did:jwk:bm90IGpzb24'],
    [
      'did:jwk holding a private key',
      `did:jwk:${Buffer.from('{"kty":"OKP","crv":"Ed25519","x":"AA","d":"AA"}').toString('base64url')}`,
    ],
    ['a method that is off', 'did:web:example.com'],
    ['no method-specific id', 'did:key:'],
  ])('a malformed or unusable DID (%s) → 401 invalid_client, never a 500', async (_name, did) => {
    const key = { ...(await ed25519DidKey()), did };
    const response = await clientCredentials(t, key);
    expect(response.statusCode, response.body).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('an admin pre-registers a DID with more rights: the stored record wins over the policy', async () => {
    const key = await ed25519DidKey();
    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: t.adminHeaders,
      payload: {
        client_id: key.did,
        name: 'trusted agent',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ ...key.publicJwk, kid: 'k1' }] },
        scope: 'agent:read agent:write',
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().client_id).toBe(key.did);
    const response = await clientCredentials(t, key, { scope: 'agent:write' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().scope).toBe('agent:write');
  });

  it('a client_id chosen at creation must be a DID or an HTTPS URL', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: t.adminHeaders,
      payload: { client_id: 'cli_mine', name: 'x', grant_types: ['client_credentials'] },
    });
    expect(created.statusCode, created.body).toBe(400);
    expect(created.json().error).toBe('invalid_client_metadata');
  });

  it('an admin blocks a DID: invalid_client at once, and the token it already holds is revoked', async () => {
    const key = await p256DidJwk();
    const first = await clientCredentials(t, key);
    expect(first.statusCode, first.body).toBe(200);
    const introspector = await createTestClient(t, { permissions: ['introspect'] });
    const introspect = () =>
      t.app.inject({
        method: 'POST',
        url: '/introspect',
        headers: { ...FORM, authorization: introspector.basic },
        payload: form({ token: first.json().access_token }),
      });
    expect((await introspect()).json().active).toBe(true);
    const blocked = await t.app.inject({
      method: 'POST',
      url: `/admin/clients/${encodeURIComponent(key.did)}/block`,
      headers: t.adminHeaders,
    });
    expect(blocked.statusCode, blocked.body).toBe(200);
    expect(blocked.json().disabled).toBe(true);
    const refused = await clientCredentials(t, key);
    expect(refused.statusCode, refused.body).toBe(401);
    expect(refused.json().error).toBe('invalid_client');
    const introspected = await introspect();
    // The blocked DID's token is inactive (RFC 7662 §2.2), and verifiers get a `client`
    // revocation on the stream (DESIGN §5).
    expect(introspected.json().active).toBe(false);
    const revocations = await t.store.listActiveRevocations(t.clock.now());
    expect(revocations.map((event) => event.target)).toContainEqual({ type: 'client', value: key.did });
    // Deleting the block hands the DID back to the unregistered-client policy.
    const unblocked = await t.app.inject({
      method: 'DELETE',
      url: `/admin/clients/${encodeURIComponent(key.did)}`,
      headers: t.adminHeaders,
    });
    expect(unblocked.statusCode, unblocked.body).toBe(204);
    const again = await clientCredentials(t, key);
    expect(again.statusCode, again.body).toBe(200);
  });
});

describe('issue 16 — DID clients are off unless clients.didMethods names the method', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await bootstrap({ 'clients.didMethods': 'jwk' });
  });
  afterAll(() => t.close());

  it('did:key with only jwk on → invalid_client', async () => {
    const response = await clientCredentials(t, await ed25519DidKey());
    expect(response.statusCode, response.body).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('with the default (no methods) a did:jwk is refused too', async () => {
    const off = await bootstrap();
    try {
      const response = await clientCredentials(off, await p256DidJwk());
      expect(response.statusCode, response.body).toBe(401);
      expect(response.json().error).toBe('invalid_client');
    } finally {
      await off.close();
    }
  });
});

describe('issue 16 — per-DID rate limit (clients.unregisteredRateLimit)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await bootstrap({ 'clients.didMethods': 'key', 'clients.unregisteredRateLimit': 2 });
  });
  afterAll(() => t.close());

  it('the third token request of one DID in the window → 429; another DID is not affected', async () => {
    const key = await ed25519DidKey();
    expect((await clientCredentials(t, key)).statusCode).toBe(200);
    expect((await clientCredentials(t, key)).statusCode).toBe(200);
    const third = await clientCredentials(t, key);
    expect(third.statusCode, third.body).toBe(429);
    expect((await clientCredentials(t, await ed25519DidKey())).statusCode).toBe(200);
  });
});

describe('issue 16 — did:web over HTTPS on loopback (did:web spec §3.2)', () => {
  let t: TestServer;
  let server: Server;
  let port: number;
  const documents = new Map<string, unknown>();
  const serveDocuments = (request: IncomingMessage, response: ServerResponse) => {
    const document = documents.get(request.url ?? '');
    response.statusCode = document === undefined ? 404 : 200;
    response.setHeader('content-type', 'application/did+json');
    response.end(document === undefined ? '' : JSON.stringify(document));
  };
  let handler = serveDocuments;

  beforeAll(async () => {
    server = createServer({ cert: readFileSync(CERT), key: readFileSync(KEY) }, (request, response) =>
      handler(request, response),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    t = await bootstrap({
      'clients.didMethods': 'web',
      'clients.allowPrivateJwksUri': true,
      'clients.fetchCaFile': CERT,
      'clients.jwksMaxBytes': 4096,
      'clients.jwksFetchTimeout': '1s',
    });
  });
  afterEach(() => {
    handler = serveDocuments;
  });
  afterAll(async () => {
    await t.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function webDid(path: string): Promise<DidKeyPair> {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const did = `did:web:127.0.0.1%3A${port}:${path}`;
    documents.set(`/${path.replaceAll(':', '/')}/did.json`, {
      id: did,
      verificationMethod: [
        { id: '#key-1', type: 'JsonWebKey2020', controller: did, publicKeyJwk: publicJwk },
      ],
      authentication: ['#key-1'],
    });
    return { did, privateKey, alg: 'ES256', publicJwk };
  }

  it('a did:web client whose document is served on loopback gets a token', async () => {
    const key = await webDid('agents:alpha');
    const response = await clientCredentials(t, key);
    expect(response.statusCode, response.body).toBe(200);
    expect(decodeJwt(response.json().access_token).sub).toBe(key.did);
  });

  it('an unresolvable did:web (404) → invalid_client', async () => {
    const key = await webDid('agents:beta');
    documents.delete('/agents/beta/did.json');
    const response = await clientCredentials(t, key);
    expect(response.statusCode, response.body).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('a document whose id is another DID → invalid_client', async () => {
    const key = await webDid('agents:gamma');
    const document = documents.get('/agents/gamma/did.json') as Record<string, unknown>;
    documents.set('/agents/gamma/did.json', { ...document, id: 'did:web:elsewhere.example' });
    const response = await clientCredentials(t, key);
    expect(response.statusCode, response.body).toBe(401);
  });

  it('a document larger than clients.jwksMaxBytes → invalid_client', async () => {
    const key = await webDid('agents:delta');
    handler = (_request, response) => {
      response.end(JSON.stringify({ id: key.did, padding: 'x'.repeat(10_000) }));
    };
    const response = await clientCredentials(t, key);
    expect(response.statusCode, response.body).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('a server that never answers is abandoned after clients.jwksFetchTimeout → invalid_client', async () => {
    const key = await webDid('agents:epsilon');
    handler = () => undefined;
    const response = await clientCredentials(t, key);
    expect(response.statusCode, response.body).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });
});
