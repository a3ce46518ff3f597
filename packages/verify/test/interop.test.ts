/**
 * Independent resource-server libraries accept Tessera's access tokens (issue 5 "Done when"):
 * Auth0's `express-oauth2-jwt-bearer` (RFC 9068 profile; explicit and discovered configuration) and `jose` alone.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastifyJwt from '@fastify/jwt';
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import Fastify from 'fastify';
import buildGetJwks from 'get-jwks';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, type RegisteredClient, startTessera, type Tessera } from './support/tessera.js';

let t: Tessera;
let app: RegisteredClient;

beforeAll(async () => {
  t = await startTessera();
  app = await t.createClient();
});
afterAll(() => t.close());

describe('express-oauth2-jwt-bearer', () => {
  let base: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const api = express();
    // The explicit configuration: issuer + jwksUri, `strict` checks typ at+jwt.
    api.use(
      auth({
        issuer: t.url,
        jwksUri: `${t.url}/jwks`,
        audience: API,
        tokenSigningAlg: 'ES256',
        strict: true,
      }),
    );
    api.get('/cookies', requiredScopes('cookies:read'), (req, res) => {
      res.json({ sub: req.auth?.payload.sub, client_id: req.auth?.payload.client_id });
    });
    api.post('/cookies/eat', requiredScopes('cookies:eat'), (_req, res) => {
      res.json({ eaten: true });
    });
    const server = createServer(api);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(() => close());

  it('RFC 9068 §4 — accepts a Tessera JWT access token and reads its claims', async () => {
    const token = await t.token(app, 'cookies:read');
    const response = await fetch(`${base}/cookies`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: app.clientId, client_id: app.clientId });
  });

  it('RFC 6750 §3.1 — refuses a token without the scope with insufficient_scope (403)', async () => {
    const token = await t.token(app, 'cookies:read');
    const response = await fetch(`${base}/cookies/eat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('insufficient_scope');
  });
});

describe('express-oauth2-jwt-bearer with its default issuerBaseURL configuration', () => {
  let base: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    // The README configuration of the library: discovery from the issuer. It then accepts only the
    // algorithms of `id_token_signing_alg_values_supported`, which lists every algorithm the
    // keyring signs with (ES256 for access tokens included), not only the ID-token default.
    const api = express();
    api.use(auth({ issuerBaseURL: t.url, audience: API }));
    api.get('/cookies', requiredScopes('cookies:read'), (req, res) => {
      res.json({ client_id: req.auth?.payload.client_id, alg: req.auth?.header.alg });
    });
    const server = createServer(api);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(() => close());

  it('OIDC Discovery §3 id_token_signing_alg_values_supported + RFC 9068 §4 — accepts an ES256 access token', async () => {
    const token = await t.token(app, 'cookies:read');
    const response = await fetch(`${base}/cookies`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toEqual({ client_id: app.clientId, alg: 'ES256' });
  });
});

describe('@fastify/jwt + get-jwks', () => {
  it('RFC 9068 §4 + OIDC Discovery — verifies an ES256 access token with the key found through discovery', async () => {
    // The pattern of @fastify/jwt's README: the key by `kid` from the issuer's JWKS, found through
    // the issuer's discovery document (get-jwks `providerDiscovery`), issuer and audience checked.
    const getJwks = buildGetJwks({ providerDiscovery: true, issuersWhitelist: [t.url] });
    const api = Fastify();
    await api.register(fastifyJwt, {
      decode: { complete: true },
      secret: (_request: unknown, token: unknown) => {
        const { header, payload } = token as {
          header: { kid: string; alg: string };
          payload: { iss: string };
        };
        return getJwks.getPublicKey({ kid: header.kid, alg: header.alg, domain: payload.iss });
      },
      verify: { allowedIss: t.url, allowedAud: API },
    });
    api.get('/cookies', async (request) => {
      const payload = await request.jwtVerify<{ client_id: string; scope: string }>();
      return { client_id: payload.client_id, scope: payload.scope };
    });
    try {
      const token = await t.token(app, 'cookies:read');
      const ok = await api.inject({ url: '/cookies', headers: { authorization: `Bearer ${token}` } });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toEqual({ client_id: app.clientId, scope: 'cookies:read' });
      const other = await api.inject({
        url: '/cookies',
        headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` },
      });
      expect(other.statusCode).toBe(401);
    } finally {
      await api.close();
    }
  });
});

describe('jose alone', () => {
  it('RFC 9068 §4 — createRemoteJWKSet + jwtVerify with typ at+jwt, iss, aud and required claims', async () => {
    const token = await t.token(app, 'cookies:read cookies:eat');
    const jwks = createRemoteJWKSet(new URL(`${t.url}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: t.url,
      audience: API,
      typ: 'at+jwt',
      algorithms: ['ES256'],
      currentDate: new Date(t.clock.now() * 1000),
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(payload).toMatchObject({
      sub: app.clientId,
      client_id: app.clientId,
      scope: 'cookies:read cookies:eat',
    });
  });
});
