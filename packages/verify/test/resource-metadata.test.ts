/**
 * Issue 16 item 4: Protected Resource Metadata (RFC 9728). An API protected by @tessera/verify
 * serves its metadata document and names it in its `WWW-Authenticate` challenges, so a client that
 * meets the API first finds Tessera by itself: challenge → metadata → authorization server
 * metadata → token → API, all over real sockets.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import Fastify, { type FastifyInstance } from 'fastify';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fastifyAdapter from '../src/adapters/fastify.js';
import * as honoAdapter from '../src/adapters/hono.js';
import * as nodeAdapter from '../src/adapters/node.js';
import {
  buildChallenge,
  createVerifier,
  resourceMetadata,
  resourceMetadataPath,
  resourceMetadataUrl,
  type Verifier,
} from '../src/index.js';
import { API, startTessera, type Tessera } from './support/tessera.js';

describe('RFC 9728 §3.1 — where the document lives', () => {
  it.each([
    ['https://resource.example.com', 'https://resource.example.com/.well-known/oauth-protected-resource'],
    [
      'https://resource.example.com/resource1',
      'https://resource.example.com/.well-known/oauth-protected-resource/resource1',
    ],
    [
      'https://api.example.com:8443/v1/',
      'https://api.example.com:8443/.well-known/oauth-protected-resource/v1/',
    ],
  ])('%s → %s', (resource, url) => {
    expect(resourceMetadataUrl(resource)).toBe(url);
  });

  it('a resource with a fragment is refused (RFC 9728 §1.2)', () => {
    expect(() => resourceMetadataUrl('https://api.example.com/#x')).toThrow(TypeError);
    expect(() => resourceMetadata({ resource: 'not a url', authorizationServers: [] })).toThrow(TypeError);
  });

  it('RFC 9728 §5.1 — the challenge carries resource_metadata', () => {
    expect(
      buildChallenge({
        realm: 'api',
        resourceMetadata: 'https://a.example/.well-known/oauth-protected-resource',
      }),
    ).toBe('Bearer realm="api", resource_metadata="https://a.example/.well-known/oauth-protected-resource"');
  });
});

describe('RFC 9728 §5 — a client that meets the API first discovers Tessera through the challenge', () => {
  let tessera: Tessera;
  let api: FastifyInstance;
  let apiUrl: string;
  let verifier: Verifier;

  beforeAll(async () => {
    tessera = await startTessera();
    api = Fastify();
    const metadataUrl = resourceMetadataUrl(API);
    verifier = createVerifier({ issuer: tessera.url, audience: API, resourceMetadataUrl: metadataUrl });
    fastifyAdapter.serveResourceMetadata(api, {
      resource: API,
      authorizationServers: [tessera.url],
      scopesSupported: ['cookies:read', 'cookies:eat'],
      resourceName: 'Cookie jar',
    });
    api.get(
      '/cookies',
      { preHandler: fastifyAdapter.protect(verifier, { scope: 'cookies:read' }) },
      async () => ({
        cookies: 3,
      }),
    );
    apiUrl = await api.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await api.close();
    await verifier.close();
    await tessera.close();
  });

  it('401 challenge → metadata document → authorization server → token → 200', async () => {
    const first = await fetch(`${apiUrl}/cookies`);
    expect(first.status).toBe(401);
    const challenge = first.headers.get('www-authenticate') ?? '';
    const named = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(named).toBe(`${API}/.well-known/oauth-protected-resource`);

    // The document is served by the API itself; the test reaches it on the API's socket.
    const document = await fetch(`${apiUrl}${new URL(named ?? '').pathname}`);
    expect(document.status).toBe(200);
    const metadata = (await document.json()) as Record<string, unknown>;
    expect(metadata).toEqual({
      resource: API,
      authorization_servers: [tessera.url],
      bearer_methods_supported: ['header'],
      scopes_supported: ['cookies:read', 'cookies:eat'],
      resource_name: 'Cookie jar',
    });

    const [issuer] = metadata.authorization_servers as string[];
    const asMetadata = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as {
      token_endpoint: string;
    };
    const client = await tessera.createClient({ scope: 'cookies:read' });
    const tokenResponse = await fetch(asMetadata.token_endpoint, {
      method: 'POST',
      headers: { authorization: client.basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: String(metadata.resource) }),
    });
    expect(tokenResponse.status).toBe(200);
    const { access_token } = (await tokenResponse.json()) as { access_token: string };
    const second = await fetch(`${apiUrl}/cookies`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(second.status).toBe(200);
  });

  it('RFC 6750 §3.1 + RFC 9728 §5.1 — an insufficient_scope challenge also names the document', async () => {
    const client = await tessera.createClient({ scope: 'cookies:eat' });
    const token = await tessera.token(client, 'cookies:eat');
    const response = await fetch(`${apiUrl}/cookies`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(response.headers.get('www-authenticate')).toContain(
      `resource_metadata="${resourceMetadataUrl(API)}"`,
    );
  });
});

describe('the node and hono adapters serve the same document', () => {
  const options = {
    resource: 'https://api.example.com/v1',
    authorizationServers: ['https://auth.example.com'],
  };
  const expected = resourceMetadata(options);
  const servers: Server[] = [];
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  function urlOf(server: Server): string {
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('node:http', async () => {
    const handler = nodeAdapter.serveResourceMetadata(options);
    const server = createServer((req, res) => handler(req, res));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const response = await fetch(`${urlOf(server)}${resourceMetadataPath(options.resource)}`);
    expect(await response.json()).toEqual(expected);
  });

  it('hono', async () => {
    const app = new Hono();
    app.get(resourceMetadataPath(options.resource), honoAdapter.serveResourceMetadata(options));
    const server = await new Promise<Server>((resolve) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
        resolve(started as Server),
      );
    });
    servers.push(server);
    const response = await fetch(`${urlOf(server)}/.well-known/oauth-protected-resource/v1`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(expected);
  });
});
