/**
 * Issue 16 item 5: pairwise subject identifiers (OpenID Connect Core 1.0 §8, §8.1). A client
 * registered with `subject_type: pairwise` sees, for one person, a `sub` of its own sector in ID
 * tokens, at userinfo and in ID token hints; access tokens (RFC 9068) keep the user id. The sector
 * is the host of `sector_identifier_uri` (OIDC Registration §5, a JSON array listing every
 * redirect URI, served here over HTTPS on loopback with a test certificate), else the one host of
 * the redirect URIs.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubjectOf, sectorOf } from '../../src/oauth/oidc/pairwise.js';
import type { NewClient, UserRecord } from '../../src/store/ports.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { FORM, form, type TestClient } from '../support/clients.js';
import { authorizeUrl, Browser, createCodeClient, createUser, pkcePair, signIn } from '../support/login.js';

const CERT = fileURLToPath(new URL('../fixtures/tls/cert.pem', import.meta.url));
const KEY = fileURLToPath(new URL('../fixtures/tls/key.pem', import.meta.url));
const APP = 'https://app.example.com/callback';
const APP_TWO = 'https://app.example.com/second';
const OTHER = 'https://other.example.org/callback';
const SIGNED_OUT = 'https://app.example.com/signed-out';

describe('OIDC Core §8.1 — the pairwise value', () => {
  const key = Buffer.alloc(32, 7);
  const pairwise = (redirectUris: string[], sectorIdentifierUri: string | null = null) => ({
    subjectType: 'pairwise' as const,
    redirectUris,
    sectorIdentifierUri,
  });

  it('§8.1: same sector → same sub; another sector → another sub; stable for the same key', () => {
    const subjectOf = createSubjectOf(key);
    const a = subjectOf(pairwise([APP]), 'usr_alice');
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(subjectOf(pairwise([APP_TWO]), 'usr_alice')).toBe(a);
    expect(subjectOf(pairwise([OTHER]), 'usr_alice')).not.toBe(a);
    expect(subjectOf(pairwise([APP]), 'usr_bob')).not.toBe(a);
    // Another process with the same key (every node, every restart) agrees.
    expect(createSubjectOf(Buffer.alloc(32, 7))(pairwise([APP]), 'usr_alice')).toBe(a);
    expect(createSubjectOf(Buffer.alloc(32, 8))(pairwise([APP]), 'usr_alice')).not.toBe(a);
  });

  it('§8.1: sector_identifier_uri, when given, is the sector: its host, not the redirect URIs', () => {
    const subjectOf = createSubjectOf(key);
    const viaSector = subjectOf(pairwise([APP, OTHER], 'https://app.example.com/sector.json'), 'usr_alice');
    expect(viaSector).toBe(subjectOf(pairwise([APP]), 'usr_alice'));
    expect(sectorOf({ redirectUris: [APP, OTHER], sectorIdentifierUri: null })).toBeUndefined();
    expect(sectorOf({ redirectUris: ['com.example.app:/cb'], sectorIdentifierUri: null })).toBeUndefined();
  });

  it('§8: a public client sees the user id', () => {
    const subjectOf = createSubjectOf(key);
    expect(
      subjectOf({ subjectType: 'public', redirectUris: [APP], sectorIdentifierUri: null }, 'usr_alice'),
    ).toBe('usr_alice');
  });
});

describe('OIDC Core §8 — pairwise sub in ID tokens, userinfo and end-session; registration rules', () => {
  let t: TestServer;
  let alice: UserRecord;
  let server: Server;
  let base: string;
  const documents = new Map<string, unknown>();
  const serve = (request: IncomingMessage, response: ServerResponse) => {
    const body = documents.get(request.url ?? '');
    response.statusCode = body === undefined ? 404 : 200;
    response.setHeader('content-type', 'application/json');
    response.end(body === undefined ? '' : JSON.stringify(body));
  };

  beforeAll(async () => {
    server = createServer({ cert: readFileSync(CERT), key: readFileSync(KEY) }, serve);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    t = await bootstrap({
      'clients.allowPrivateJwksUri': true,
      'clients.fetchCaFile': CERT,
      'clients.jwksFetchTimeout': '2s',
      'clients.registration': 'open',
      'clients.unregisteredScope': 'openid read',
    });
    alice = await createUser(t);
  });
  afterAll(async () => {
    await t.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function signInAt(c: TestClient, browser = new Browser(t)) {
    const redirectUri = c.client.redirectUris[0] ?? '';
    const pkce = pkcePair();
    const { code } = await signIn(
      browser,
      authorizeUrl(c.client, {
        scope: 'openid read',
        redirect_uri: redirectUri,
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      }),
    );
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { authorization: c.basic, ...FORM },
      payload: form({
        grant_type: 'authorization_code',
        code: code ?? '',
        redirect_uri: redirectUri,
        code_verifier: pkce.verifier,
      }),
    });
    expect(response.statusCode, response.body).toBe(200);
    const tokens = response.json<{ id_token: string; access_token: string }>();
    return { browser, tokens, sub: decodeJwt(tokens.id_token).sub };
  }

  const codeClient = (overrides: Partial<NewClient>) =>
    createCodeClient(t, { scope: ['openid', 'read'], postLogoutRedirectUris: [SIGNED_OUT], ...overrides });

  it('§8.1: two pairwise clients of different sectors see different subs; two of one sector the same', async () => {
    const a = await signInAt(await codeClient({ subjectType: 'pairwise', redirectUris: [APP] }));
    const b = await signInAt(await codeClient({ subjectType: 'pairwise', redirectUris: [APP_TWO] }));
    const other = await signInAt(await codeClient({ subjectType: 'pairwise', redirectUris: [OTHER] }));
    expect(a.sub).toBe(b.sub);
    expect(other.sub).not.toBe(a.sub);
    expect([a.sub, other.sub]).not.toContain(alice.id);
    // RFC 9068 access tokens keep the user id: they are for resource servers (docs/clients.md).
    expect(decodeJwt(a.tokens.access_token).sub).toBe(alice.id);
  });

  it('issue 16 item 5: the account page shows which identifier each application knows the person by', async () => {
    const pairwise = await codeClient({
      name: 'Pairwise App',
      subjectType: 'pairwise',
      redirectUris: [OTHER],
    });
    const { browser, sub } = await signInAt(pairwise);
    await signInAt(await codeClient({ name: 'Public App', redirectUris: [APP] }), browser);
    const page = await browser.get('/account');
    expect(page.statusCode).toBe(200);
    const row = (clientId: string) =>
      new RegExp(`<tr data-client="${clientId}">.*?</tr>`, 's').exec(page.body)?.[0] ?? '';
    expect(row(pairwise.id)).toContain(`<code>${String(sub)}</code>`);
    expect(row(pairwise.id)).toContain('for this application only');
    expect(page.body).toMatch(
      new RegExp(`<code>${alice.id}</code> <span class="muted">\\(your account id\\)`),
    );
  });

  it('§5.3.2: the userinfo sub equals the ID token sub of a pairwise client', async () => {
    const { tokens, sub } = await signInAt(
      await codeClient({ subjectType: 'pairwise', redirectUris: [OTHER] }),
    );
    const userinfo = await t.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userinfo.statusCode, userinfo.body).toBe(200);
    expect(userinfo.json<{ sub: string }>().sub).toBe(sub);
  });

  it('§8: a public client still sees the user id, in the ID token and at userinfo', async () => {
    const { tokens, sub } = await signInAt(await codeClient({ redirectUris: [APP] }));
    expect(sub).toBe(alice.id);
    const userinfo = await t.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userinfo.json<{ sub: string }>().sub).toBe(alice.id);
  });

  it("RP-Initiated Logout §2: a pairwise client's id_token_hint is recognised as the browser's person", async () => {
    const c = await codeClient({ subjectType: 'pairwise', redirectUris: [OTHER] });
    const { browser, tokens } = await signInAt(c);
    t.clock.advance(2 * 3600); // old hint: trusted only because the browser's session is its person
    const sessionsBefore = (await t.store.listSessions({})).items.length;
    const out = await browser.get(
      `/end-session?${new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: SIGNED_OUT })}`,
    );
    expect(out.statusCode, out.body).toBe(303);
    expect(out.headers.location).toBe(SIGNED_OUT);
    expect((await t.store.listSessions({})).items.length).toBe(sessionsBefore - 1);
  });

  it('§8.1: pairwise with redirect URIs on several hosts and no sector_identifier_uri is refused (admin API)', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: t.adminHeaders,
      payload: {
        name: 'two hosts',
        grant_types: ['authorization_code'],
        redirect_uris: [APP, OTHER],
        subject_type: 'pairwise',
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: 'invalid_client_metadata',
      error_description: expect.stringContaining('sector_identifier_uri'),
    });
  });

  it('Registration §5: a sector_identifier_uri that lists every redirect URI makes its host the sector', async () => {
    documents.set('/sector.json', [APP, OTHER]);
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: t.adminHeaders,
      payload: {
        name: 'two hosts, one sector',
        grant_types: ['authorization_code'],
        redirect_uris: [APP, OTHER],
        subject_type: 'pairwise',
        sector_identifier_uri: `${base}/sector.json`,
      },
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({
      subject_type: 'pairwise',
      sector_identifier_uri: `${base}/sector.json`,
    });
  });

  it.each([
    ['a document missing a redirect URI', '/partial.json', [APP], 'missing'],
    ['a document that is not an array of strings', '/object.json', { redirect_uris: [APP] }, 'JSON array'],
    ['no document (404)', '/absent.json', undefined, 'could not be fetched'],
  ])('Registration §5: %s → invalid_client_metadata, nothing stored', async (_name, path, body, message) => {
    if (body !== undefined) {
      documents.set(path, body);
    }
    const before = await t.store.countClients();
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: t.adminHeaders,
      payload: {
        name: 'bad sector',
        grant_types: ['authorization_code'],
        redirect_uris: [APP, OTHER],
        subject_type: 'pairwise',
        sector_identifier_uri: `${base}${path}`,
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: 'invalid_client_metadata',
      error_description: expect.stringContaining(message),
    });
    expect(await t.store.countClients()).toBe(before);
  });

  it('Registration §5: a PATCH adding a redirect URI the sector document does not list is refused', async () => {
    documents.set('/patch.json', [APP]);
    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: t.adminHeaders,
      payload: {
        name: 'patched',
        grant_types: ['authorization_code'],
        redirect_uris: [APP],
        subject_type: 'pairwise',
        sector_identifier_uri: `${base}/patch.json`,
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ client_id: string }>().client_id;
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/admin/clients/${id}`,
      headers: t.adminHeaders,
      payload: { redirect_uris: [APP, OTHER] },
    });
    expect(patched.statusCode).toBe(400);
    expect(patched.json()).toMatchObject({ error: 'invalid_client_metadata' });
    expect((await t.store.findClient(id))?.redirectUris).toEqual([APP]);
  });

  it('RFC 7591 §3.2.2 / OIDC Registration §2: dynamic registration refuses a bad subject_type and a pairwise client without a sector', async () => {
    const register = (payload: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: '/register', payload });
    const bad = await register({
      redirect_uris: [APP],
      token_endpoint_auth_method: 'none',
      subject_type: 'secret',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'invalid_client_metadata' });
    const twoHosts = await register({
      redirect_uris: [APP, OTHER],
      token_endpoint_auth_method: 'none',
      subject_type: 'pairwise',
    });
    expect(twoHosts.statusCode).toBe(400);
    expect(twoHosts.json()).toMatchObject({ error: 'invalid_client_metadata' });
    const ok = await register({
      redirect_uris: [APP],
      token_endpoint_auth_method: 'none',
      subject_type: 'pairwise',
    });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ subject_type: 'pairwise' });
  });

  it('Discovery §3: subject_types_supported lists public and pairwise', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' });
    expect(response.json()).toMatchObject({ subject_types_supported: ['public', 'pairwise'] });
  });
});
