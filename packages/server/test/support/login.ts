/**
 * Test helpers for the login flow (issue 6): users, code-flow clients, PKCE pairs and a tiny
 * cookie-keeping "browser" that drives /authorize → /login → /consent through `inject()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ClientRecord, NewClient, UserRecord } from '../../src/store/ports.js';
import { TEST_ISSUER, type TestServer } from './bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from './clients.js';

export const PASSWORD = 'correct horse battery';
export const REDIRECT_URI = 'https://app.example.com/callback';

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * Redeems an authorization code at /token (RFC 6749 §4.1.3) with its PKCE verifier (RFC 7636 §4.5)
 * and the client's Basic credentials; `headers` adds to the request's (a User-Agent, say).
 */
export function redeemCode(
  t: Pick<TestServer, 'app'>,
  client: Pick<TestClient, 'basic'>,
  code: { code: string | null | undefined; verifier: string },
  headers: Record<string, string> = {},
) {
  return t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { ...FORM, authorization: client.basic, ...headers },
    payload: form({
      grant_type: 'authorization_code',
      code: code.code ?? '',
      redirect_uri: REDIRECT_URI,
      code_verifier: code.verifier,
    }),
  });
}

export async function createUser(
  t: TestServer,
  username = 'alice',
  extra: Record<string, unknown> = {},
): Promise<UserRecord> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/admin/users',
    headers: t.adminHeaders,
    payload: {
      username,
      password: PASSWORD,
      email: `${username}@example.com`,
      name: 'Alice Liddell',
      ...extra,
    },
  });
  if (response.statusCode !== 201) {
    throw new Error(`user create failed: ${response.body}`);
  }
  const id = response.json<{ id: string }>().id;
  const user = await t.store.findUser(id);
  if (user === undefined) {
    throw new Error('user vanished');
  }
  return user;
}

export function createCodeClient(t: TestServer, overrides: Partial<NewClient> = {}): Promise<TestClient> {
  return createTestClient(t, {
    name: 'Cookie Jar App',
    grantTypes: ['authorization_code', 'refresh_token'],
    scope: ['read', 'write'],
    defaultScope: [],
    audiences: ['https://api.example.com'],
    redirectUris: [REDIRECT_URI],
    postLogoutRedirectUris: ['https://app.example.com/signed-out'],
    ...overrides,
  });
}

export function createPublicClient(t: TestServer, overrides: Partial<NewClient> = {}): Promise<TestClient> {
  return createCodeClient(t, { tokenEndpointAuthMethod: 'none', secrets: [], ...overrides });
}

/** A cookie jar that follows Set-Cookie like a browser would (names only; attributes checked in tests). */
export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(readonly t: TestServer) {}

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  store(setCookie: string | string[] | undefined): void {
    for (const line of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair === undefined || eq < 0) {
        continue;
      }
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '' || /max-age=0/i.test(line)) {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, value);
      }
    }
  }

  /** Headers this browser sends with every request (e.g. Accept-Language). */
  readonly headers: Record<string, string> = {};

  async get(url: string) {
    const response = await this.t.app.inject({
      method: 'GET',
      url: relative(url),
      headers: { ...this.headers, cookie: this.header() },
    });
    this.store(response.headers['set-cookie']);
    return response;
  }

  async post(url: string, params: Record<string, string>) {
    const response = await this.t.app.inject({
      method: 'POST',
      url: relative(url),
      headers: {
        ...this.headers,
        cookie: this.header(),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: form(params),
    });
    this.store(response.headers['set-cookie']);
    return response;
  }
}

export function relative(url: string): string {
  if (url.startsWith('/')) {
    return url;
  }
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

/** Values of the hidden inputs of a page. */
export function hiddenFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    out[match[1] as string] = (match[2] as string).replace(/&#(\d+);/g, (_m, code: string) =>
      String.fromCharCode(Number(code)),
    );
  }
  return out;
}

export function authorizeUrl(
  client: ClientRecord | { id: string },
  params: Record<string, string | undefined> = {},
): string {
  const search = new URLSearchParams();
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: client.id,
    redirect_uri: REDIRECT_URI,
    state: 'st-123',
    ...params,
  };
  for (const [k, v] of Object.entries(all)) {
    if (v !== undefined) {
      search.append(k, v);
    }
  }
  return `/authorize?${search.toString()}`;
}

export interface SignInResult {
  /** The final redirect to the client. */
  location: URL;
  code: string | null;
}

/**
 * Runs the whole browser part: /authorize → login form → (consent Allow) → redirect to the client.
 * Returns the final Location. `username`/`password` default to alice / {@link PASSWORD}.
 */
export async function signIn(
  browser: Browser,
  url: string,
  options: {
    username?: string;
    password?: string;
    consent?: 'allow' | 'deny';
    issuer?: string;
    /** The fields of the second-factor form (`code` or `recovery_code`), when it is shown. */
    secondFactor?: () => Record<string, string>;
  } = {},
): Promise<SignInResult> {
  const issuer = new URL(options.issuer ?? TEST_ISSUER);
  let response = await browser.get(url);
  for (let step = 0; step < 6; step++) {
    if (response.statusCode === 303 || response.statusCode === 302) {
      const location = String(response.headers.location);
      const target = new URL(location, issuer);
      if (target.origin !== issuer.origin) {
        return { location: target, code: target.searchParams.get('code') };
      }
      response = await browser.get(location);
      continue;
    }
    if (response.statusCode !== 200) {
      throw new Error(`unexpected ${response.statusCode}: ${response.body.slice(0, 300)}`);
    }
    const fields = hiddenFields(response.body);
    if (response.body.includes('action="/login"')) {
      response = await browser.post('/login', {
        ...fields,
        username: options.username ?? 'alice',
        password: options.password ?? PASSWORD,
      });
    } else if (response.body.includes('action="/login/second-factor"') && options.secondFactor) {
      response = await browser.post('/login/second-factor', { ...fields, ...options.secondFactor() });
    } else if (response.body.includes('action="/consent"')) {
      response = await browser.post('/consent', { ...fields, decision: options.consent ?? 'allow' });
    } else {
      throw new Error(`unexpected page: ${response.body.slice(0, 300)}`);
    }
  }
  throw new Error('too many steps');
}
