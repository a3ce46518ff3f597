/**
 * A real Tessera for the verifier's tests: the server's own test bootstrap (SQLite `:memory:`,
 * fixed clock, fixed master key) listening on a loopback port whose URL is the issuer. Admin and
 * token calls go through `inject()`; the verifier talks to the socket like any API server.
 */
import type { TokenResponse } from '@tessera/protocol';
import { expect } from 'vitest';
import type { TestServer } from '../../../server/test/support/bootstrap.js';
import { basicAuthorization, FORM, form } from '../../../server/test/support/clients.js';
import { listeningServer } from '../../../server/test/support/listening.js';

export const API = 'https://cookies.example';

export interface Tessera extends TestServer {
  url: string;
  admin<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<T>;
  createClient(options?: ClientOptions): Promise<RegisteredClient>;
  token(client: RegisteredClient, scope?: string): Promise<string>;
  revoke(client: RegisteredClient, token: string): Promise<void>;
  createApiKey(owner: string, scope: string): Promise<{ id: string; key: string }>;
}

export interface ClientOptions {
  scope?: string;
  format?: 'jwt' | 'opaque';
  permissions?: string[];
  audiences?: string[];
  grantTypes?: string[];
}

export interface RegisteredClient {
  clientId: string;
  clientSecret: string;
  basic: string;
}

export function withAdmin(
  t: TestServer,
): Pick<Tessera, 'admin' | 'createClient' | 'token' | 'revoke' | 'createApiKey'> {
  async function admin<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<T> {
    const response = await t.app.inject({
      method,
      url: `/admin${path}`,
      headers: t.adminHeaders,
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
    expect(response.statusCode, response.body).toBeLessThan(300);
    return response.json() as T;
  }
  return {
    admin,
    async createClient(options = {}) {
      const created = await admin<{ client_id: string; client_secret: string }>('POST', '/clients', {
        name: 'verify test',
        grant_types: options.grantTypes ?? ['client_credentials'],
        scope: options.scope ?? 'cookies:read cookies:eat',
        audiences: options.audiences ?? [API],
        token_format: options.format ?? 'jwt',
        permissions: options.permissions ?? [],
      });
      return {
        clientId: created.client_id,
        clientSecret: created.client_secret,
        basic: basicAuthorization(created.client_id, created.client_secret),
      };
    },
    async token(client, scope) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/token',
        headers: { ...FORM, authorization: client.basic },
        payload: form({ grant_type: 'client_credentials', ...(scope === undefined ? {} : { scope }) }),
      });
      expect(response.statusCode, response.body).toBe(200);
      return (response.json() as TokenResponse).access_token;
    },
    async revoke(client, token) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/revoke',
        headers: { ...FORM, authorization: client.basic },
        payload: form({ token }),
      });
      expect(response.statusCode, response.body).toBe(200);
    },
    async createApiKey(owner, scope) {
      const created = await admin<{ id: string; key: string }>('POST', '/api-keys', {
        name: 'verify test key',
        owner,
        scope,
      });
      return { id: created.id, key: created.key };
    },
  };
}

/** Starts a listening Tessera whose issuer is its own URL. */
export async function startTessera(overrides: Record<string, unknown> = {}): Promise<Tessera> {
  const t = await listeningServer(overrides);
  return Object.assign(t, withAdmin(t));
}

/** The client an API server uses at Tessera: introspection, API keys and the revocation stream. */
export function createApiServerClient(t: Pick<Tessera, 'createClient'>): Promise<RegisteredClient> {
  return t.createClient({ permissions: ['revocations:stream', 'introspect', 'api_keys:verify'] });
}

/**
 * Resolves once `check` returns true, polling on the event loop (no timed assertion). The bound only
 * catches a hang, below vitest's 20 s test timeout so the message names what never happened.
 */
export async function eventually(check: () => boolean, what: string, limitMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > limitMs) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A person's access token (code flow, audience {@link API}) from a login session started with
 * these RFC 8176 methods, e.g. `['hwk', 'user']` (a passkey: acr phr) or `['pwd']`.
 */
export async function userAccessToken(t: Tessera, amr: string[]): Promise<string> {
  const { createSessionService } = await import('../../../server/src/users/session-service.js');
  const login = await import('../../../server/test/support/login.js');
  const user = (await t.store.findUserByUsername('alice')) ?? (await login.createUser(t, 'alice'));
  const sessions = createSessionService({
    store: t.store,
    revocations: { revoke: () => Promise.reject(new Error('not expected')) },
    clock: t.clock,
    audit: t.audit,
    ttl: 3600,
    maxAge: 86400,
    maxAccessTokenTtl: 3600,
  });
  const started = await sessions.start(user, { amr, userAgent: null, ip: null });
  const client = await login.createCodeClient(t, {
    firstParty: true,
    scope: ['cookies:read'],
    audiences: [API],
  });
  const browser = new login.Browser(t);
  browser.cookies.set('tessera_session', started.secret);
  const { codeFlow } = await import('./flows.js');
  return (await codeFlow(t, client, browser, 'cookies:read')).access_token;
}
