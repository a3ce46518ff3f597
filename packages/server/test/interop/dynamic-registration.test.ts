/**
 * Issue 16 item 3: Dynamic Client Registration (RFC 7591) and its management (RFC 7592), round-
 * tripped with oauth4webapi's registration support against a listening server, then used at the
 * token endpoint with the secret it was given.
 */
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { listeningServer } from '../support/listening.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

async function discover(url: string): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(url);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
}

async function initialAccessToken(t: TestServer, scopes: string[]): Promise<string> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/admin/admin-tokens',
    headers: t.adminHeaders,
    payload: { name: 'dcr', scopes },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().token;
}

describe('RFC 7591 behind an initial access token (clients.registration = token)', () => {
  let t: TestServer & { url: string };
  let as: oauth.AuthorizationServer;
  beforeAll(async () => {
    t = await listeningServer({
      'clients.registration': 'token',
      'clients.unregisteredScope': 'agent:read agent:write',
    });
    as = await discover(t.url);
  });
  afterAll(() => t.close());

  it('RFC 8414 §2 — discovery lists registration_endpoint', () => {
    expect(as.registration_endpoint).toBe(`${t.url}/register`);
  });

  it('RFC 7591 §3.1–3.2.1 — oauth4webapi registers; the client gets a token; RFC 7592 reads, replaces, deletes', async () => {
    const iat = await initialAccessToken(t, ['clients:register']);
    const response = await oauth.dynamicClientRegistrationRequest(
      as,
      {
        client_name: 'MCP agent',
        grant_types: ['client_credentials'],
        scope: 'agent:read admin',
        logo_uri: 'https://x.example/l.png',
      },
      { ...insecure, initialAccessToken: iat },
    );
    const registered = await oauth.processDynamicClientRegistrationResponse(response);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(registered.client_id).toMatch(/^cli_/);
    expect(registered.client_secret).toMatch(/^tsr_cs_/);
    // RFC 7591 §2: a scope the policy does not allow is not granted; unknown metadata is ignored.
    expect(registered.scope).toBe('agent:read');
    expect(registered.registration_access_token).toMatch(/^tsr_rat_/);
    expect(registered.registration_client_uri).toBe(`${t.url}/register/${registered.client_id}`);

    const client: oauth.Client = { client_id: registered.client_id };
    const token = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(String(registered.client_secret)),
        new URLSearchParams(),
        insecure,
      ),
    );
    expect(token.scope).toBe('agent:read');

    const management = { authorization: `Bearer ${registered.registration_access_token}` };
    const read = await fetch(String(registered.registration_client_uri), { headers: management });
    expect(read.status).toBe(200);
    expect((await read.json()).client_name).toBe('MCP agent');

    const replaced = await fetch(String(registered.registration_client_uri), {
      method: 'PUT',
      headers: { ...management, 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: registered.client_id,
        client_name: 'MCP agent v2',
        grant_types: ['client_credentials'],
        scope: 'agent:read agent:write',
      }),
    });
    expect(replaced.status, await replaced.clone().text()).toBe(200);
    expect(await replaced.json()).toMatchObject({
      client_name: 'MCP agent v2',
      scope: 'agent:read agent:write',
    });

    // RFC 7592 §3: another client's registration access token, or none, is 401.
    const other = await fetch(String(registered.registration_client_uri), {
      headers: { authorization: 'Bearer tsr_rat_notthetoken' },
    });
    expect(other.status).toBe(401);
    expect(other.headers.get('www-authenticate')).toMatch(/^Bearer /);

    const deleted = await fetch(String(registered.registration_client_uri), {
      method: 'DELETE',
      headers: management,
    });
    expect(deleted.status).toBe(204);
    expect(await t.store.findClient(registered.client_id)).toBeUndefined();
    const gone = await fetch(String(registered.registration_client_uri), { headers: management });
    expect(gone.status).toBe(401);
  });

  it('RFC 7591 §3 — without an initial access token, or with an admin token lacking clients:register → 401, nothing stored', async () => {
    const before = await t.store.countClients();
    const none = await oauth.dynamicClientRegistrationRequest(as, { client_name: 'x' }, insecure);
    expect(none.status).toBe(401);
    const weak = await initialAccessToken(t, ['users:read']);
    const refused = await oauth.dynamicClientRegistrationRequest(
      as,
      { client_name: 'x' },
      { ...insecure, initialAccessToken: weak },
    );
    expect(refused.status).toBe(401);
    expect(await t.store.countClients()).toBe(before);
  });

  it.each([
    ['plain http, not loopback', 'http://app.example.com/cb'],
    ['a fragment', 'https://app.example.com/cb#x'],
    ['not a URI', 'not a uri'],
  ])(
    'RFC 7591 §3.2.2 — a redirect URI with %s → 400 invalid_redirect_uri, nothing stored',
    async (_name, uri) => {
      const before = await t.store.countClients();
      const iat = await initialAccessToken(t, ['clients:register']);
      const response = await oauth.dynamicClientRegistrationRequest(
        as,
        {
          client_name: 'bad',
          redirect_uris: [uri],
          grant_types: ['authorization_code'],
          token_endpoint_auth_method: 'none',
        },
        { ...insecure, initialAccessToken: iat },
      );
      expect(response.status).toBe(400);
      expect((await response.json()).error).toBe('invalid_redirect_uri');
      expect(await t.store.countClients()).toBe(before);
    },
  );

  it('RFC 7591 §3.2.2 — malformed metadata → 400 invalid_client_metadata', async () => {
    const iat = await initialAccessToken(t, ['clients:register']);
    const response = await fetch(`${t.url}/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${iat}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'x', grant_types: 'client_credentials' }),
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe('invalid_client_metadata');
  });
});

describe('clients.registration = open, and off (the default)', () => {
  it('open: anyone registers a public code client', async () => {
    const t = await bootstrap({ 'clients.registration': 'open' });
    try {
      const response = await t.app.inject({
        method: 'POST',
        url: '/register',
        payload: {
          client_name: 'SPA',
          redirect_uris: ['https://spa.example.com/cb'],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code'],
        },
      });
      expect(response.statusCode, response.body).toBe(201);
      expect(response.json().client_secret).toBeUndefined();
      expect(response.json().response_types).toEqual(['code']);
    } finally {
      await t.close();
    }
  });

  it('off: no /register route and no registration_endpoint in discovery', async () => {
    const t = await bootstrap();
    try {
      const response = await t.app.inject({
        method: 'POST',
        url: '/register',
        payload: { client_name: 'x' },
      });
      expect(response.statusCode).toBe(404);
      const metadata = await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
      expect(metadata.json().registration_endpoint).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
