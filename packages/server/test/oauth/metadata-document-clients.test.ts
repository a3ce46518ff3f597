/**
 * Issue 16 item 2: Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document). An
 * https URL as `client_id`, never registered, whose JSON document gives the client's metadata; the
 * document is fetched over HTTPS from a loopback server with a test certificate.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cacheTtlOf, findClientIdUrlProblem } from '../../src/oauth/client-resolution/metadata-document.js';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { FORM, form } from '../support/clients.js';
import { authorizeUrl, Browser, createUser, hiddenFields, PASSWORD, pkcePair } from '../support/login.js';

const CERT = fileURLToPath(new URL('../fixtures/tls/cert.pem', import.meta.url));
const KEY = fileURLToPath(new URL('../fixtures/tls/key.pem', import.meta.url));
const REDIRECT = 'https://agent.example.com/callback';

describe('draft §3 and RFC 9111 §5.2.2 — client_id URL shape and cache lifetime', () => {
  it.each([
    ['https://app.example.com/client.json', undefined],
    ['https://app.example.com/', 'must have a path'],
    ['https://app.example.com/a#frag', 'must have a path'],
    ['https://user:pw@app.example.com/a', 'must have a path'],
    ['https://app.example.com/a/../b', 'normal form'],
    ['https://app.example.com/a/./b', 'normal form'],
    ['http://app.example.com/a', 'https URL'],
  ])('%s', (url, problem) => {
    const found = findClientIdUrlProblem(url);
    if (problem === undefined) {
      expect(found).toBeUndefined();
    } else {
      expect(found).toContain(problem);
    }
  });

  it('max-age is honoured within [5 s, clients.resolutionTtl]; no-store keeps the minimum', () => {
    expect(cacheTtlOf('public, max-age=300', 600_000)).toBe(300_000);
    expect(cacheTtlOf('max-age=86400', 600_000)).toBe(600_000);
    expect(cacheTtlOf('max-age=0', 600_000)).toBe(5_000);
    expect(cacheTtlOf('no-store', 600_000)).toBe(5_000);
    expect(cacheTtlOf(null, 600_000)).toBe(600_000);
  });
});

describe('issue 16 — an unregistered client with a metadata document completes code + PKCE', () => {
  let t: TestServer;
  let server: Server;
  let base: string;
  let hits = 0;
  const documents = new Map<string, { body: unknown; headers?: Record<string, string> }>();
  const serve = (request: IncomingMessage, response: ServerResponse) => {
    hits++;
    const entry = documents.get(request.url ?? '');
    response.statusCode = entry === undefined ? 404 : 200;
    response.setHeader('content-type', 'application/json');
    for (const [name, value] of Object.entries(entry?.headers ?? {})) {
      response.setHeader(name, value);
    }
    response.end(entry === undefined ? '' : JSON.stringify(entry.body));
  };
  let handler = serve;

  beforeAll(async () => {
    server = createServer({ cert: readFileSync(CERT), key: readFileSync(KEY) }, (request, response) =>
      handler(request, response),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    t = await bootstrap({
      'clients.metadataDocuments': true,
      'clients.allowPrivateJwksUri': true,
      'clients.fetchCaFile': CERT,
      'clients.jwksMaxBytes': 4096,
      'clients.jwksFetchTimeout': '1s',
      'clients.unregisteredScope': 'openid profile',
    });
    await createUser(t);
  });
  afterEach(() => {
    handler = serve;
  });
  afterAll(async () => {
    await t.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function publish(path: string, body: Record<string, unknown>, headers?: Record<string, string>): string {
    const clientId = `${base}${path}`;
    documents.set(path, {
      body: { client_id: clientId, ...body },
      ...(headers === undefined ? {} : { headers }),
    });
    return clientId;
  }

  it('authorization code + PKCE: consent shows "client_name (origin)", the token names the URL', async () => {
    const clientId = publish('/agents/demo.json', { client_name: 'Demo Agent', redirect_uris: [REDIRECT] });
    const pkce = pkcePair();
    const browser = new Browser(t);
    let response = await browser.get(
      authorizeUrl(
        { id: clientId },
        {
          redirect_uri: REDIRECT,
          code_challenge: pkce.challenge,
          code_challenge_method: 'S256',
          scope: 'openid',
        },
      ),
    );
    let consentPage = '';
    let location: URL | undefined;
    for (let step = 0; step < 6 && location === undefined; step++) {
      if (response.statusCode === 302 || response.statusCode === 303) {
        const target = new URL(String(response.headers.location), TEST_ISSUER);
        if (target.origin !== TEST_ISSUER) {
          location = target;
          break;
        }
        response = await browser.get(String(response.headers.location));
      } else if (response.body.includes('action="/login"')) {
        response = await browser.post('/login', {
          ...hiddenFields(response.body),
          username: 'alice',
          password: PASSWORD,
        });
      } else if (response.body.includes('action="/consent"')) {
        consentPage = response.body;
        response = await browser.post('/consent', { ...hiddenFields(response.body), decision: 'allow' });
      } else {
        throw new Error(`unexpected ${response.statusCode}: ${response.body.slice(0, 300)}`);
      }
    }
    expect(consentPage).toContain(`Demo Agent (${base})`);
    expect(location?.origin + (location?.pathname ?? '')).toBe(REDIRECT);
    const code = location?.searchParams.get('code') ?? '';
    const token = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: FORM,
      payload: form({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        client_id: clientId,
        code_verifier: pkce.verifier,
      }),
    });
    expect(token.statusCode, token.body).toBe(200);
    expect(decodeJwt(token.json().access_token).client_id).toBe(clientId);
    // Only an anchor row for its codes and tokens is stored, marked as unregistered.
    expect((await t.store.findClient(clientId))?.source).toBe('metadata_document');
  });

  async function authorizePage(clientId: string, redirectUri = REDIRECT) {
    return t.app.inject({
      method: 'GET',
      url: authorizeUrl(
        { id: clientId },
        { redirect_uri: redirectUri, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' },
      ),
    });
  }

  it('draft §4.1 — a document whose client_id differs from its URL → error page, no redirect', async () => {
    const clientId = `${base}/agents/liar.json`;
    documents.set('/agents/liar.json', {
      body: { client_id: `${base}/agents/other.json`, client_name: 'Liar', redirect_uris: [REDIRECT] },
    });
    const response = await authorizePage(clientId);
    expect(response.statusCode).toBe(400);
    expect(response.headers.location).toBeUndefined();
  });

  it('draft §4.1 — a shared-secret token_endpoint_auth_method → error page', async () => {
    const clientId = publish('/agents/secret.json', {
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect((await authorizePage(clientId)).statusCode).toBe(400);
  });

  it('RFC 9700 §4.1 — a redirect URI admin-created clients may not have (plain http, not loopback) → error page', async () => {
    const clientId = publish('/agents/http.json', { redirect_uris: ['http://agent.example.com/cb'] });
    const response = await authorizePage(clientId, 'http://agent.example.com/cb');
    expect(response.statusCode).toBe(400);
    expect(response.headers.location).toBeUndefined();
  });

  it('RFC 6749 §3.1.2.3 — a redirect_uri the document does not list → error page, no redirect', async () => {
    const clientId = publish('/agents/exact.json', { redirect_uris: [REDIRECT] });
    const response = await authorizePage(clientId, 'https://evil.example.com/callback');
    expect(response.statusCode).toBe(400);
    expect(response.headers.location).toBeUndefined();
  });

  it('a document larger than clients.jwksMaxBytes → error page', async () => {
    const clientId = publish('/agents/big.json', { redirect_uris: [REDIRECT], padding: 'x'.repeat(8000) });
    expect((await authorizePage(clientId)).statusCode).toBe(400);
  });

  it('a server that never answers is abandoned after clients.jwksFetchTimeout → error page', async () => {
    const clientId = publish('/agents/slow.json', { redirect_uris: [REDIRECT] });
    handler = () => undefined;
    expect((await authorizePage(clientId)).statusCode).toBe(400);
  });

  it('RFC 9111 §5.2.2.1 — a document with max-age is fetched once while fresh', async () => {
    const clientId = publish(
      '/agents/cached.json',
      { redirect_uris: [REDIRECT] },
      { 'cache-control': 'max-age=300' },
    );
    const before = hits;
    expect((await authorizePage(clientId)).statusCode).toBe(303);
    expect((await authorizePage(clientId)).statusCode).toBe(303);
    expect(hits - before).toBe(1);
  });
});

describe('issue 16 — metadata documents are off by default', () => {
  it('an https client_id is an unknown client', async () => {
    const t = await bootstrap();
    try {
      const response = await t.app.inject({
        method: 'GET',
        url: authorizeUrl({ id: 'https://agent.example.com/client.json' }, { redirect_uri: REDIRECT }),
      });
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('Unknown or disabled client');
    } finally {
      await t.close();
    }
  });
});
