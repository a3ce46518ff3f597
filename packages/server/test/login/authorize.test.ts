/**
 * `GET|POST /authorize` (RFC 6749 §4.1.1–§4.1.2.1, RFC 7636 §4.3, RFC 9207, RFC 9700 §4.1/§4.4,
 * OpenID Connect Core §3.1.2.1) without a browser: every rule, each cited.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import type { TestClient } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createPublicClient,
  createUser,
  hiddenFields,
  pkcePair,
  REDIRECT_URI,
  signIn,
} from '../support/login.js';

let t: TestServer;
let c: TestClient;
const pkce = pkcePair();
const PKCE = { code_challenge: pkce.challenge, code_challenge_method: 'S256' };

beforeEach(async () => {
  t = await bootstrap();
  await createUser(t);
  c = await createCodeClient(t);
});
afterEach(async () => {
  await t.close();
});

/** The redirect to the client, or undefined when the answer is not one. */
function redirectOf(response: { statusCode: number; headers: Record<string, unknown> }): URL | undefined {
  const location = response.headers.location;
  if (response.statusCode !== 303 || typeof location !== 'string' || !location.startsWith(REDIRECT_URI)) {
    return undefined;
  }
  return new URL(location);
}

async function expectErrorPage(url: string, status = 400) {
  const response = await t.app.inject({ method: 'GET', url });
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^text\/html/);
  expect(response.headers.location).toBeUndefined();
  return response;
}

async function expectRedirectedError(url: string, error: string) {
  const response = await t.app.inject({ method: 'GET', url });
  const location = redirectOf(response);
  expect(location, response.body.slice(0, 200)).toBeDefined();
  expect(location?.searchParams.get('error')).toBe(error);
  expect(location?.searchParams.get('state')).toBe('st-123');
  // RFC 9207 §2: iss in error responses too.
  expect(location?.searchParams.get('iss')).toBe(TEST_ISSUER);
  expect(location?.searchParams.get('code')).toBeNull();
  return location;
}

describe('client and redirect URI first (RFC 6749 §4.1.2.1: never redirect to an unvalidated URI)', () => {
  it('RFC 6749 §4.1.2.1 — unknown client_id → error page, no redirect', async () => {
    const page = await expectErrorPage(authorizeUrl({ id: 'cli_unknown' }, PKCE));
    expect(page.body).toContain('Unknown or disabled client');
  });

  it('RFC 6749 §4.1.2.1 — missing client_id → error page', async () => {
    await expectErrorPage(authorizeUrl({ id: '' }, PKCE));
  });

  it('RFC 6749 §4.1.2.1 — disabled client → error page', async () => {
    const disabled = await createCodeClient(t, { disabled: true });
    await expectErrorPage(authorizeUrl(disabled.client, PKCE));
  });

  it('OAuth 2.1 §4.1.1 — missing redirect_uri → error page', async () => {
    await expectErrorPage(authorizeUrl(c.client, { ...PKCE, redirect_uri: undefined }));
  });

  for (const [label, uri] of [
    ['another host (open redirect)', 'https://evil.example/callback'],
    ['an extra path segment', `${REDIRECT_URI}/../../evil`],
    ['an added query', `${REDIRECT_URI}?next=https://evil.example`],
    ['a trailing slash', `${REDIRECT_URI}/`],
    ['different case', REDIRECT_URI.toUpperCase()],
    ['http instead of https', REDIRECT_URI.replace('https:', 'http:')],
    ['a fragment', `${REDIRECT_URI}#x`],
    ['userinfo in the authority', 'https://app.example.com@evil.example/callback'],
  ] as const) {
    it(`RFC 9700 §4.1.3 — redirect_uri with ${label} is not an exact match → error page, never followed`, async () => {
      const page = await expectErrorPage(
        authorizeUrl(c.client, { ...PKCE, redirect_uri: uri, response_type: 'token' }),
      );
      expect(page.body).toContain('redirect_uri is not registered');
      expect(page.body).not.toContain('evil.example');
    });
  }

  it('RFC 6749 §3.1 — a repeated client_id or redirect_uri → error page', async () => {
    await expectErrorPage(`${authorizeUrl(c.client, PKCE)}&client_id=${c.id}`);
    await expectErrorPage(`${authorizeUrl(c.client, PKCE)}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`);
  });
});

describe('errors redirected once the client is known (RFC 6749 §4.1.2.1, RFC 9207 §2)', () => {
  it('RFC 6749 §4.1.2.1 — response_type=token → unsupported_response_type (OAuth 2.1: no implicit grant)', async () => {
    await expectRedirectedError(
      authorizeUrl(c.client, { ...PKCE, response_type: 'token' }),
      'unsupported_response_type',
    );
    await expectRedirectedError(
      authorizeUrl(c.client, { ...PKCE, response_type: 'code id_token' }),
      'unsupported_response_type',
    );
  });

  it('RFC 6749 §4.1.2.1 — missing response_type → invalid_request', async () => {
    await expectRedirectedError(
      authorizeUrl(c.client, { ...PKCE, response_type: undefined }),
      'invalid_request',
    );
  });

  it('RFC 6749 §3.1 — a repeated parameter (scope) → invalid_request, redirected', async () => {
    await expectRedirectedError(
      `${authorizeUrl(c.client, { ...PKCE, scope: 'read' })}&scope=write`,
      'invalid_request',
    );
  });

  it('RFC 6749 §4.1.2.1 — a client without the authorization_code grant → unauthorized_client', async () => {
    const m2m = await createCodeClient(t, { grantTypes: ['client_credentials'] });
    await expectRedirectedError(authorizeUrl(m2m.client, PKCE), 'unauthorized_client');
  });

  it('RFC 6749 §3.3 — a scope the client may not have → invalid_scope', async () => {
    await expectRedirectedError(authorizeUrl(c.client, { ...PKCE, scope: 'read admin' }), 'invalid_scope');
  });

  it('OIDC Core §11 — offline_access for a client without the refresh_token grant → invalid_scope', async () => {
    const noRefresh = await createCodeClient(t, { grantTypes: ['authorization_code'] });
    await expectRedirectedError(
      authorizeUrl(noRefresh.client, { ...PKCE, scope: 'openid offline_access' }),
      'invalid_scope',
    );
  });

  it('RFC 8707 §2 — a resource the client may not use → invalid_target', async () => {
    await expectRedirectedError(
      authorizeUrl(c.client, { ...PKCE, resource: 'https://elsewhere.example' }),
      'invalid_target',
    );
  });

  it('OIDC Core §3.1.2.1 — response_mode other than query, request objects, unknown prompt → invalid_request', async () => {
    await expectRedirectedError(
      authorizeUrl(c.client, { ...PKCE, response_mode: 'fragment' }),
      'invalid_request',
    );
    await expectRedirectedError(authorizeUrl(c.client, { ...PKCE, request: 'eyJ.x.y' }), 'invalid_request');
    await expectRedirectedError(
      authorizeUrl(c.client, { ...PKCE, prompt: 'select_account' }),
      'invalid_request',
    );
    await expectRedirectedError(authorizeUrl(c.client, { ...PKCE, prompt: 'none login' }), 'invalid_request');
    await expectRedirectedError(authorizeUrl(c.client, { ...PKCE, max_age: '-1' }), 'invalid_request');
  });
});

describe('PKCE (RFC 7636, RFC 9700 §2.1.1 and §4.8 PKCE downgrade)', () => {
  it('RFC 9700 §2.1.1 — a confidential client without code_challenge → invalid_request (required by default)', async () => {
    await expectRedirectedError(authorizeUrl(c.client), 'invalid_request');
  });

  it('OAuth 2.1 §4.1.1 — a public client without code_challenge → invalid_request even when PKCE is optional', async () => {
    await t.close();
    t = await bootstrap({ 'login.requirePkce': false });
    const pub = await createPublicClient(t);
    await expectRedirectedError(authorizeUrl(pub.client), 'invalid_request');
    const confidential = await createCodeClient(t);
    const response = await t.app.inject({ method: 'GET', url: authorizeUrl(confidential.client) });
    expect(response.statusCode).toBe(303);
    expect(String(response.headers.location)).toMatch(/^http:\/\/tessera\.test\/login\?/);
  });

  it('RFC 7636 §4.3 — code_challenge_method=plain → invalid_request (S256 only)', async () => {
    const location = await expectRedirectedError(
      authorizeUrl(c.client, { code_challenge: pkce.verifier, code_challenge_method: 'plain' }),
      'invalid_request',
    );
    expect(location?.searchParams.get('error_description')).toMatch(/S256/);
  });

  it('RFC 7636 §4.3 — a challenge without a method defaults to plain → invalid_request', async () => {
    await expectRedirectedError(
      authorizeUrl(c.client, { code_challenge: pkce.challenge }),
      'invalid_request',
    );
  });

  it('RFC 7636 §4.2 — a malformed S256 challenge → invalid_request', async () => {
    await expectRedirectedError(
      authorizeUrl(c.client, { code_challenge: 'short', code_challenge_method: 'S256' }),
      'invalid_request',
    );
  });
});

describe('a successful authorization response (RFC 6749 §4.1.2, RFC 9207)', () => {
  it('RFC 6749 §4.1.2 / RFC 9207 §2 — code, state exactly as sent, and iss', async () => {
    const state = 'a b&c=d/é';
    const { location } = await signIn(new Browser(t), authorizeUrl(c.client, { ...PKCE, state }));
    expect(location.origin + location.pathname).toBe(REDIRECT_URI);
    expect(location.searchParams.get('code')).toMatch(/^tsr_ac_/);
    expect(location.searchParams.get('state')).toBe(state);
    expect(location.searchParams.get('iss')).toBe(TEST_ISSUER);
  });

  it('RFC 6749 §4.1.2 — no state sent → none returned', async () => {
    const { location } = await signIn(new Browser(t), authorizeUrl(c.client, { ...PKCE, state: undefined }));
    expect(location.searchParams.has('state')).toBe(false);
  });

  it('RFC 6749 §3.1.2 — a registered redirect URI with a query keeps it', async () => {
    const withQuery = await createCodeClient(t, { redirectUris: ['https://app.example.com/cb?tenant=7'] });
    const { location } = await signIn(
      new Browser(t),
      authorizeUrl(withQuery.client, { ...PKCE, redirect_uri: 'https://app.example.com/cb?tenant=7' }),
    );
    expect(location.searchParams.get('tenant')).toBe('7');
    expect(location.searchParams.get('code')).toMatch(/^tsr_ac_/);
  });

  it('OIDC Core §3.1.2.1 — POST /authorize works like GET', async () => {
    const browser = new Browser(t);
    const query = new URL(`http://x${authorizeUrl(c.client, PKCE)}`).searchParams;
    const response = await browser.post('/authorize', Object.fromEntries(query));
    expect(response.statusCode).toBe(303);
    expect(String(response.headers.location)).toMatch(/\/login\?interaction=/);
  });

  it('RFC 9207 §3 / RFC 9700 §4.4 (mix-up) — discovery advertises authorization_response_iss_parameter_supported', async () => {
    const meta = (
      await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })
    ).json();
    expect(meta.authorization_response_iss_parameter_supported).toBe(true);
    expect(meta.issuer).toBe(TEST_ISSUER);
  });
});

describe('sessions and prompts (OIDC Core §3.1.2.1, §3.1.2.6)', () => {
  it('OIDC Core §3.1.2.1 — with a live session and remembered consent, /authorize answers at once (single sign-on)', async () => {
    const browser = new Browser(t);
    await signIn(browser, authorizeUrl(c.client, PKCE));
    const again = await browser.get(authorizeUrl(c.client, PKCE));
    expect(redirectOf(again)?.searchParams.get('code')).toMatch(/^tsr_ac_/);
  });

  it('OIDC Core §3.1.2.6 — prompt=none without a session → login_required, redirected with state and iss', async () => {
    await expectRedirectedError(authorizeUrl(c.client, { ...PKCE, prompt: 'none' }), 'login_required');
  });

  it('OIDC Core §3.1.2.6 — prompt=none with a session but no consent for a new scope → consent_required', async () => {
    const browser = new Browser(t);
    await signIn(browser, authorizeUrl(c.client, { ...PKCE, scope: 'read' }));
    const response = await browser.get(
      authorizeUrl(c.client, { ...PKCE, scope: 'read write', prompt: 'none' }),
    );
    expect(redirectOf(response)?.searchParams.get('error')).toBe('consent_required');
  });

  it('OIDC Core §3.1.2.1 — prompt=login asks for the password again despite a session', async () => {
    const browser = new Browser(t);
    await signIn(browser, authorizeUrl(c.client, PKCE));
    const response = await browser.get(authorizeUrl(c.client, { ...PKCE, prompt: 'login' }));
    expect(String(response.headers.location)).toMatch(/\/login\?interaction=/);
    const result = await signIn(browser, authorizeUrl(c.client, { ...PKCE, prompt: 'login' }));
    expect(result.code).toMatch(/^tsr_ac_/);
  });

  it('OIDC Core §3.1.2.1 — max_age: an older login must be repeated', async () => {
    const browser = new Browser(t);
    await signIn(browser, authorizeUrl(c.client, PKCE));
    t.clock.advance(120);
    const fresh = await browser.get(authorizeUrl(c.client, { ...PKCE, max_age: '300' }));
    expect(redirectOf(fresh)?.searchParams.get('code')).toMatch(/^tsr_ac_/);
    const stale = await browser.get(authorizeUrl(c.client, { ...PKCE, max_age: '60' }));
    expect(String(stale.headers.location)).toMatch(/\/login\?interaction=/);
  });

  it('OIDC Core §3.1.2.1 — login_hint fills in the username', async () => {
    const browser = new Browser(t);
    const response = await browser.get(authorizeUrl(c.client, { ...PKCE, login_hint: 'alice' }));
    const page = await browser.get(String(response.headers.location));
    expect(page.body).toContain('name="username" value="alice"');
    expect(hiddenFields(page.body).interaction).toBeTruthy();
  });
});
