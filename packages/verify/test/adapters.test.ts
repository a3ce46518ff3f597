/**
 * One behaviour suite, run through every adapter (STYLE §9.6): node:http, Express 5, Fastify 5 and
 * Hono 4 (on @hono/node-server), each serving the cookie-jar routes on a real socket and verifying
 * tokens from a real Tessera. Two verifiers: `strict` (header and API-key header only, the default)
 * and `open` (RFC 6750 §2.2 body and §2.3 query tokens enabled).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORM, form } from '../../server/test/support/clients.js';
import { type DpopKey, dpopKey, dpopProof } from '../../server/test/support/dpop.js';
import * as expressAdapter from '../src/adapters/express.js';
import * as fastifyAdapter from '../src/adapters/fastify.js';
import * as honoAdapter from '../src/adapters/hono.js';
import * as nodeAdapter from '../src/adapters/node.js';
import { createVerifier, type VerifiedToken, type Verifier } from '../src/index.js';
import {
  API,
  createApiServerClient,
  type RegisteredClient,
  startTessera,
  type Tessera,
  userAccessToken,
} from './support/tessera.js';

type Mount = (
  verifiers: Record<'strict' | 'open', Verifier>,
) => Promise<{ url: string; close(): Promise<void> }>;

const READ = { scope: 'cookies:read' };
/** RFC 6750 §3.1 and RFC 9449 §7.1: no credentials → both schemes offered, no error code. */
const BARE_CHALLENGE =
  'Bearer realm="cookie-jar", DPoP realm="cookie-jar", algs="ES256 EdDSA Ed25519 RS256 PS256"';
const EAT = { scope: 'cookies:eat' };
/** RFC 9470: "eat the last cookie" needs a passkey sign-in at most five minutes old. */
const LAST = { scope: 'cookies:read', authentication: { acr: 'urn:tessera:acr:phr', maxAge: 300 } };

function view(token: VerifiedToken) {
  return { subject: token.subject, tokenType: token.tokenType, source: token.source };
}

function listen(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

const mounts: Record<string, Mount> = {
  async node(verifiers) {
    const handlers = new Map<string, ReturnType<typeof nodeAdapter.protect>>();
    for (const [name, verifier] of Object.entries(verifiers)) {
      const send = (res: import('node:http').ServerResponse, token: VerifiedToken) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(view(token)));
      };
      handlers.set(
        `GET /${name}/cookies`,
        nodeAdapter.protect(verifier, (_req, res, token) => send(res, token), READ),
      );
      handlers.set(
        `POST /${name}/cookies/eat`,
        nodeAdapter.protect(verifier, (_req, res, token) => send(res, token), EAT),
      );
      handlers.set(
        `GET /${name}/cookies/last`,
        nodeAdapter.protect(verifier, (_req, res, token) => send(res, token), LAST),
      );
    }
    return listen(
      createServer((req, res) => {
        const handler = handlers.get(`${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`);
        if (handler === undefined) {
          res.writeHead(404).end();
          return;
        }
        void handler(req, res);
      }),
    );
  },

  async express(verifiers) {
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    for (const [name, verifier] of Object.entries(verifiers)) {
      app.get(`/${name}/cookies`, expressAdapter.protect(verifier, READ), (_req, res) => {
        res.json(view(expressAdapter.authOf(res) as VerifiedToken));
      });
      app.post(`/${name}/cookies/eat`, expressAdapter.protect(verifier, EAT), (_req, res) => {
        res.json(view(expressAdapter.authOf(res) as VerifiedToken));
      });
      app.get(`/${name}/cookies/last`, expressAdapter.protect(verifier, LAST), (_req, res) => {
        res.json(view(expressAdapter.authOf(res) as VerifiedToken));
      });
    }
    return listen(createServer(app));
  },

  async fastify(verifiers) {
    const app = Fastify();
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => {
        const params = new URLSearchParams(body as string);
        const out: Record<string, string | string[]> = {};
        for (const key of new Set(params.keys())) {
          const values = params.getAll(key);
          out[key] = values.length === 1 ? (values[0] as string) : values;
        }
        done(null, out);
      },
    );
    for (const [name, verifier] of Object.entries(verifiers)) {
      app.get(`/${name}/cookies`, { preHandler: fastifyAdapter.protect(verifier, READ) }, async (request) =>
        view(request.auth as VerifiedToken),
      );
      app.post(
        `/${name}/cookies/eat`,
        { preHandler: fastifyAdapter.protect(verifier, EAT) },
        async (request) => view(request.auth as VerifiedToken),
      );
      app.get(
        `/${name}/cookies/last`,
        { preHandler: fastifyAdapter.protect(verifier, LAST) },
        async (request) => view(request.auth as VerifiedToken),
      );
    }
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    return { url, close: () => app.close() };
  },

  async hono(verifiers) {
    const app = new Hono<honoAdapter.AuthEnv>();
    for (const [name, verifier] of Object.entries(verifiers)) {
      app.get(`/${name}/cookies`, honoAdapter.protect(verifier, READ), (c) => c.json(view(c.get('auth'))));
      app.post(`/${name}/cookies/eat`, honoAdapter.protect(verifier, EAT), (c) =>
        c.json(view(c.get('auth'))),
      );
      app.get(`/${name}/cookies/last`, honoAdapter.protect(verifier, LAST), (c) =>
        c.json(view(c.get('auth'))),
      );
    }
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
    };
  },
};

let t: Tessera;
let app: RegisteredClient;
let verifiers: Record<'strict' | 'open', Verifier>;
let readToken: string;
let bothToken: string;
let apiKey: string;
let dpop: { key: DpopKey; token: string };
let passkeyToken: string;
let passwordToken: string;

beforeAll(async () => {
  t = await startTessera();
  app = await t.createClient();
  const api = await createApiServerClient(t);
  const common = {
    issuer: t.url,
    audience: API,
    realm: 'cookie-jar',
    client: { clientId: api.clientId, clientSecret: api.clientSecret },
    now: () => t.clock.now(),
  };
  verifiers = {
    strict: createVerifier(common),
    open: createVerifier({ ...common, allowBodyToken: true, allowQueryToken: true }),
  };
  readToken = await t.token(app, 'cookies:read');
  bothToken = await t.token(app, 'cookies:read cookies:eat');
  apiKey = (await t.createApiKey(app.clientId, 'cookies:read')).key;
  const key = await dpopKey('ES256');
  const issued = await t.app.inject({
    method: 'POST',
    url: '/token',
    headers: {
      ...FORM,
      authorization: app.basic,
      dpop: await dpopProof(key, { iat: t.clock.now(), htu: `${t.url}/token` }),
    },
    payload: form({ grant_type: 'client_credentials', scope: 'cookies:read' }),
  });
  dpop = { key, token: issued.json().access_token };
  passkeyToken = await userAccessToken(t, ['hwk', 'user']);
  passwordToken = await userAccessToken(t, ['pwd']);
});
afterAll(async () => {
  await verifiers.strict.close();
  await verifiers.open.close();
  await t.close();
});

describe.each(Object.keys(mounts))('adapter %s', (name) => {
  let base: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const mount = mounts[name] as Mount;
    const server = await mount(verifiers);
    base = server.url;
    close = server.close;
  });
  afterAll(() => close());

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });

  it('RFC 6750 §2.1 — a valid Bearer header is accepted (200)', async () => {
    const response = await get('/strict/cookies', { authorization: `Bearer ${readToken}` });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ subject: app.clientId, tokenType: 'jwt', source: 'header' });
    expect(response.headers.get('cache-control')).not.toBe('private');
  });

  it('RFC 9449 §7.1 — the adapter passes method and URL: a bound token with its proof is accepted', async () => {
    const proof = await dpopProof(dpop.key, {
      htm: 'GET',
      htu: `${base}/strict/cookies`,
      iat: t.clock.now(),
      accessToken: dpop.token,
    });
    const response = await get('/strict/cookies', { authorization: `DPoP ${dpop.token}`, dpop: proof });
    expect(response.status, await response.clone().text()).toBe(200);
  });

  it('RFC 9449 §4.3 check 8/9 — a proof for another method or path → 401 invalid_dpop_proof', async () => {
    for (const [htm, path] of [
      ['POST', '/strict/cookies'],
      ['GET', '/strict/cookies/eat'],
    ] as const) {
      const proof = await dpopProof(dpop.key, {
        htm,
        htu: `${base}${path}`,
        iat: t.clock.now(),
        accessToken: dpop.token,
      });
      const response = await get('/strict/cookies', { authorization: `DPoP ${dpop.token}`, dpop: proof });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain(
        'DPoP realm="cookie-jar", error="invalid_dpop_proof"',
      );
    }
  });

  it('RFC 9449 §7.2 — a bound token sent as Bearer → 401 invalid_token', async () => {
    const response = await get('/strict/cookies', { authorization: `Bearer ${dpop.token}` });
    expect(response.status).toBe(401);
    expect((await response.json()).error).toBe('invalid_token');
  });

  it('RFC 6750 §3.1 — no credentials: 401 with a bare challenge (no error code)', async () => {
    const response = await get('/strict/cookies');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(BARE_CHALLENGE);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('RFC 6750 §3.1 — an invalid token: 401 invalid_token', async () => {
    const response = await get('/strict/cookies', { authorization: 'Bearer not.a.jwt' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="cookie-jar", error="invalid_token", error_description="[^"]+", DPoP realm="cookie-jar", algs="[^"]+"$/,
    );
    expect((await response.json()).error).toBe('invalid_token');
  });

  it('RFC 6750 §3.1 — a missing scope: 403 insufficient_scope with scope in the challenge', async () => {
    const response = await post('/strict/cookies/eat', '', { authorization: `Bearer ${readToken}` });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(response.headers.get('www-authenticate')).toContain('scope="cookies:eat"');
    expect(await response.json()).toMatchObject({ error: 'insufficient_scope' });
  });

  it('RFC 9470 §3 — too weak a sign-in: 401 insufficient_user_authentication with acr_values and max_age', async () => {
    for (const token of [readToken, passwordToken]) {
      const response = await get('/strict/cookies/last', { authorization: `Bearer ${token}` });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(
        'Bearer realm="cookie-jar", error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:tessera:acr:phr", max_age=300',
      );
      expect(await response.json()).toMatchObject({ error: 'insufficient_user_authentication' });
    }
  });

  it('RFC 9470 §4 — a passkey sign-in (acr phr) within max_age passes', async () => {
    const response = await get('/strict/cookies/last', { authorization: `Bearer ${passkeyToken}` });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ tokenType: 'jwt' });
  });

  it('RFC 6750 §3.1 — a malformed Authorization header: 400 invalid_request', async () => {
    const response = await get('/strict/cookies', { authorization: 'Bearer' });
    expect(response.status).toBe(400);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_request"');
  });

  it('RFC 6750 §2.3 — a query token is ignored unless enabled (401 bare challenge)', async () => {
    const response = await get(`/strict/cookies?access_token=${readToken}`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(BARE_CHALLENGE);
  });

  it('RFC 6750 §2.3 — when enabled, a query token works and the response is Cache-Control: private', async () => {
    const response = await get(`/open/cookies?access_token=${readToken}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ source: 'query' });
    expect(response.headers.get('cache-control')).toBe('private');
  });

  it('RFC 6750 §2.2 — when enabled, a form-body token works and the response is Cache-Control: private', async () => {
    const response = await post('/open/cookies/eat', `access_token=${bothToken}&cookie=1`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ source: 'body' });
    expect(response.headers.get('cache-control')).toBe('private');
  });

  it('RFC 6750 §2 — a token in two places (header and query): 400 invalid_request', async () => {
    const response = await get(`/open/cookies?access_token=${readToken}`, {
      authorization: `Bearer ${readToken}`,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('an API key in X-API-Key is accepted as tokenType api_key', async () => {
    const response = await get('/strict/cookies', { 'x-api-key': apiKey });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      subject: app.clientId,
      tokenType: 'api_key',
      source: 'api_key_header',
    });
  });
});
