/**
 * Interop with Auth.js (`@auth/core` 0.41, unmodified): its built-in OIDC provider type against a
 * listening Tessera. Discovery, the authorization code flow with PKCE (Auth.js's default check; OIDC Core
 * §3.1, RFC 7636), the ID token checked by Auth.js (oauth4webapi inside), and the session it makes.
 * Auth.js runs in-process on web Request/Response; the browser is a cookie jar per origin.
 */
import { Auth, type AuthConfig } from '@auth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/bootstrap.js';
import type { TestClient } from '../support/clients.js';
import { listeningServer } from '../support/listening.js';
import { Browser, createCodeClient, createUser, signIn } from '../support/login.js';

const RP = 'https://rp.example';

let t: TestServer & { url: string };
let client: TestClient;
let config: AuthConfig;

beforeAll(async () => {
  t = await listeningServer();
  await createUser(t);
  client = await createCodeClient(t, {
    redirectUris: [`${RP}/auth/callback/tessera`],
    firstParty: true,
  });
  config = {
    secret: 'an-auth-js-secret-of-at-least-32-characters',
    trustHost: true,
    basePath: '/auth',
    providers: [
      {
        id: 'tessera',
        name: 'Tessera',
        type: 'oidc',
        issuer: t.url,
        clientId: client.id,
        clientSecret: client.secret,
        authorization: { params: { scope: 'openid profile email' } },
      },
    ],
  };
});
afterAll(() => t.close());

/** The relying party's side of the browser: Auth.js's cookies, sent back like a browser would. */
class Jar {
  readonly cookies = new Map<string, string>();
  async call(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await Auth(new Request(url, { ...init, headers }), config);
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair !== undefined && eq > 0) {
        const value = pair.slice(eq + 1);
        if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) {
          this.cookies.delete(pair.slice(0, eq));
        } else {
          this.cookies.set(pair.slice(0, eq), value);
        }
      }
    }
    return response;
  }
}

describe('Auth.js (@auth/core) OIDC provider', () => {
  it('OIDC Core §3.1 + RFC 7636 — signs in through Tessera (discovery, PKCE, the ID token iss, aud and signature) and holds a session with the user', async () => {
    const rp = new Jar();
    const { csrfToken } = (await (await rp.call(`${RP}/auth/csrf`)).json()) as { csrfToken: string };
    const start = await rp.call(`${RP}/auth/signin/tessera`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrfToken, callbackUrl: `${RP}/home` }).toString(),
    });
    expect(start.status).toBe(302);
    const authorize = new URL(String(start.headers.get('location')));
    expect(authorize.origin + authorize.pathname).toBe(`${t.url}/authorize`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');

    const { location } = await signIn(new Browser(t), authorize.pathname + authorize.search, {
      issuer: t.url,
    });
    expect(location.origin + location.pathname).toBe(`${RP}/auth/callback/tessera`);

    const callback = await rp.call(location.href);
    expect(callback.status, await callback.clone().text()).toBe(302);
    expect(callback.headers.get('location')).toBe(`${RP}/home`);

    const session = (await (await rp.call(`${RP}/auth/session`)).json()) as {
      user?: { name?: string; email?: string };
    };
    expect(session.user).toMatchObject({ name: 'Alice Liddell', email: 'alice@example.com' });
  });
});
