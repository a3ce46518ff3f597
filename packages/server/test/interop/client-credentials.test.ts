/**
 * Interop with independent, certified clients against a listening server: openid-client v6 and
 * oauth4webapi v3 (client credentials, introspection, revocation; client_secret_basic,
 * client_secret_post and private_key_jwt) and jose (createRemoteJWKSet + jwtVerify).
 */
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/bootstrap.js';
import { createTestClient, type TestClient } from '../support/clients.js';
import { listeningServer } from '../support/listening.js';

let t: TestServer & { url: string };
let app: TestClient;
let api: TestClient;

beforeAll(async () => {
  t = await listeningServer();
  app = await createTestClient(t, { metadata: { tenant: 'acme' } });
  api = await createTestClient(t, { grantTypes: [], permissions: ['introspect'] });
});
afterAll(() => t.close());

describe('openid-client v6', () => {
  async function configFor(client: TestClient, auth: 'basic' | 'post') {
    return openid.discovery(
      new URL(t.url),
      client.id,
      undefined,
      auth === 'basic' ? openid.ClientSecretBasic(client.secret) : openid.ClientSecretPost(client.secret),
      { execute: [openid.allowInsecureRequests], algorithm: 'oauth2' },
    );
  }

  it('RFC 6749 §4.4 — client credentials with client_secret_basic and client_secret_post', async () => {
    for (const auth of ['basic', 'post'] as const) {
      const config = await configFor(app, auth);
      const tokens = await openid.clientCredentialsGrant(config, {
        scope: 'read write',
        resource: 'https://other.example.com',
      });
      expect(tokens.token_type).toBe('bearer');
      expect(tokens.scope).toBe('read write');
      expect(tokens.expires_in).toBe(600);
    }
  });

  it('RFC 7662 — introspection of an issued token, RFC 7009 — revocation, then inactive', async () => {
    const tokens = await openid.clientCredentialsGrant(await configFor(app, 'basic'), { scope: 'read' });
    const apiConfig = await configFor(api, 'basic');
    const active = await openid.tokenIntrospection(apiConfig, tokens.access_token);
    expect(active).toMatchObject({
      active: true,
      client_id: app.id,
      scope: 'read',
      token_type: 'Bearer',
      tenant: 'acme',
    });
    await openid.tokenRevocation(await configFor(app, 'basic'), tokens.access_token);
    expect((await openid.tokenIntrospection(apiConfig, tokens.access_token)).active).toBe(false);
  });

  it('RFC 6749 §5.2 — a wrong secret with Basic → 401 with a Basic challenge the client understands', async () => {
    const config = await openid.discovery(
      new URL(t.url),
      app.id,
      undefined,
      openid.ClientSecretBasic(api.secret),
      {
        execute: [openid.allowInsecureRequests],
        algorithm: 'oauth2',
      },
    );
    const error = await openid.clientCredentialsGrant(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(openid.WWWAuthenticateChallengeError);
    const challenge = error as openid.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause[0]?.scheme).toBe('basic');
    expect(await challenge.response.json()).toMatchObject({ error: 'invalid_client' });
  });
});

describe('oauth4webapi v3', () => {
  const insecure = { [oauth.allowInsecureRequests]: true } as const;
  let as: oauth.AuthorizationServer;

  beforeAll(async () => {
    const issuer = new URL(t.url);
    as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
    );
  });

  it('RFC 8414 — discovery names the token, introspection and revocation endpoints', () => {
    expect(as.token_endpoint).toBe(`${t.url}/token`);
    expect(as.introspection_endpoint).toBe(`${t.url}/introspect`);
    expect(as.revocation_endpoint).toBe(`${t.url}/revoke`);
  });

  it('RFC 6749 §4.4 / RFC 7662 / RFC 7009 — grant, introspect, revoke (client_secret_basic)', async () => {
    const client: oauth.Client = { client_id: app.id };
    const auth = oauth.ClientSecretBasic(app.secret);
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      auth,
      new URLSearchParams({ scope: 'write' }),
      insecure,
    );
    const tokens = await oauth.processClientCredentialsResponse(as, client, response);
    expect(tokens.scope).toBe('write');

    const apiClient: oauth.Client = { client_id: api.id };
    const apiAuth = oauth.ClientSecretPost(api.secret);
    const introspection = await oauth.processIntrospectionResponse(
      as,
      apiClient,
      await oauth.introspectionRequest(as, apiClient, apiAuth, tokens.access_token, insecure),
    );
    expect(introspection).toMatchObject({
      active: true,
      sub: app.id,
      aud: 'https://api.example.com',
      iss: t.url,
    });

    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, tokens.access_token, insecure),
    );
    const after = await oauth.processIntrospectionResponse(
      as,
      apiClient,
      await oauth.introspectionRequest(as, apiClient, apiAuth, tokens.access_token, insecure),
    );
    expect(after.active).toBe(false);
  });

  it('RFC 7523 §2.2 — private_key_jwt client authentication', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const signer = await createTestClient(t, {
      tokenEndpointAuthMethod: 'private_key_jwt',
      secrets: [],
      jwks: { keys: [jwk] },
    });
    const client: oauth.Client = { client_id: signer.id };
    const auth = oauth.PrivateKeyJwt({ key: privateKey, kid: 'k1' });
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), insecure),
    );
    expect(tokens.access_token).toBeTruthy();
    // Each assertion is single-use; the library mints a fresh jti per request, so a second call works.
    await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), insecure),
    );
  });

  it('opaque tokens introspect the same way', async () => {
    const opaque = await createTestClient(t, { tokenFormat: 'opaque' });
    const client: oauth.Client = { client_id: opaque.id };
    const auth = oauth.ClientSecretBasic(opaque.secret);
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), insecure),
    );
    expect(tokens.access_token).toMatch(/^tsr_at_/);
    const introspection = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure),
    );
    expect(introspection).toMatchObject({ active: true, client_id: opaque.id });
  });
});

describe('jose', () => {
  it('RFC 9068 §4 — createRemoteJWKSet + jwtVerify accept issued tokens (typ at+jwt, iss, aud)', async () => {
    const config = await openid.discovery(
      new URL(t.url),
      app.id,
      undefined,
      openid.ClientSecretBasic(app.secret),
      {
        execute: [openid.allowInsecureRequests],
        algorithm: 'oauth2',
      },
    );
    const tokens = await openid.clientCredentialsGrant(config, { scope: 'read' });
    const jwks = createRemoteJWKSet(new URL(`${t.url}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer: t.url,
      audience: 'https://api.example.com',
      typ: 'at+jwt',
      algorithms: ['ES256'],
      requiredClaims: ['exp', 'iat', 'jti', 'client_id', 'scope', 'sub'],
    });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ client_id: app.id, sub: app.id, scope: 'read', tenant: 'acme' });
  });
});
