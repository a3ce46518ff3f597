/**
 * Consent revocation: `GET /admin/users/{id}/consents`, `DELETE /admin/users/{id}/consents/{clientId}`
 * and what revoking does: every grant the user gave the client ends (refresh families, opaque and
 * JWT access tokens, a `consent` revocation on the bus), and the next authorization asks again.
 */
import type { RevocationEvent, TokenResponse } from '@tessera/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/ports.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createUser,
  pkcePair,
  REDIRECT_URI,
  redeemCode,
  signIn,
} from '../support/login.js';

let t: TestServer;
let alice: UserRecord;
let api: TestClient;

beforeEach(async () => {
  t = await bootstrap();
  alice = await createUser(t);
  api = await createTestClient(t, { permissions: ['introspect'] });
});
afterEach(async () => {
  await t.close();
});

async function getCode(client: TestClient, browser: Browser, scope = 'openid offline_access read') {
  const pkce = pkcePair();
  const { code } = await signIn(
    browser,
    authorizeUrl(client.client, { scope, code_challenge: pkce.challenge, code_challenge_method: 'S256' }),
  );
  return { code: code ?? '', verifier: pkce.verifier };
}

async function tokensFor(client: TestClient, browser: Browser): Promise<TokenResponse> {
  const response = await redeemCode(t, client, await getCode(client, browser));
  expect(response.statusCode, response.body).toBe(200);
  return response.json<TokenResponse>();
}

/** RFC 7662: as the API server, or (refresh tokens: only their own client may see them) as `as`. */
async function isActive(token: string, as: TestClient = api): Promise<boolean> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { ...FORM, authorization: as.basic },
    payload: form({ token }),
  });
  return response.json<{ active: boolean }>().active;
}

function admin(method: 'GET' | 'DELETE', url: string, headers: Record<string, string> = t.adminHeaders) {
  return t.app.inject({ method, url, headers });
}

describe('consent revocation (issue 11 item 7)', () => {
  it('GET /admin/users/{id}/consents lists the clients the user allowed, with scopes', async () => {
    const app = await createCodeClient(t);
    await tokensFor(app, new Browser(t));
    const response = await admin('GET', `/admin/users/${alice.id}/consents`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      items: [
        {
          client_id: app.id,
          scope: 'openid offline_access read',
          granted_at: t.clock.now(),
          subject_choice: null,
        },
      ],
    });
  });

  it.each(['jwt', 'opaque'] as const)(
    'DELETE /admin/users/{id}/consents/{clientId} → 204: the %s access tokens and refresh tokens of that client for that user end, streamed as a consent revocation; other clients untouched; the next authorize asks again',
    async (format) => {
      const app = await createCodeClient(t, { tokenFormat: format });
      const other = await createCodeClient(t, { tokenFormat: format });
      const browser = new Browser(t);
      const first = await tokensFor(app, browser);
      const second = await tokensFor(app, browser);
      const kept = await tokensFor(other, browser);
      const published: RevocationEvent[] = [];
      const unsubscribe = t.bus.subscribe('revocation.created', (event) => published.push(event));
      try {
        const response = await admin('DELETE', `/admin/users/${alice.id}/consents/${app.id}`);
        expect(response.statusCode, response.body).toBe(204);
      } finally {
        unsubscribe();
      }
      expect(published.map((event) => event.target)).toContainEqual({
        type: 'consent',
        value: `${app.id} ${alice.id}`,
      });
      expect(await isActive(first.access_token)).toBe(false);
      expect(await isActive(second.access_token)).toBe(false);
      expect(await isActive(first.refresh_token ?? '', app)).toBe(false);
      expect(await isActive(second.refresh_token ?? '', app)).toBe(false);
      expect(await isActive(kept.access_token)).toBe(true);
      expect(await isActive(kept.refresh_token ?? '', other)).toBe(true);

      const listed = await admin('GET', `/admin/users/${alice.id}/consents`);
      expect(listed.json().items.map((item: { client_id: string }) => item.client_id)).toEqual([other.id]);

      // The session is still there, but the client must ask for consent again.
      let again = await browser.get(
        authorizeUrl(app.client, {
          scope: 'openid read',
          code_challenge: pkcePair().challenge,
          code_challenge_method: 'S256',
        }),
      );
      for (let hop = 0; hop < 3 && again.statusCode === 303; hop++) {
        const location = String(again.headers.location);
        expect(location.startsWith(REDIRECT_URI), location).toBe(false);
        again = await browser.get(location);
      }
      expect(again.statusCode).toBe(200);
      expect(again.body).toContain('action="/consent"');
    },
  );

  it('a code issued before the consent was revoked and redeemed after it → invalid_grant', async () => {
    const app = await createCodeClient(t);
    const browser = new Browser(t);
    const pending = await getCode(app, browser);
    expect((await admin('DELETE', `/admin/users/${alice.id}/consents/${app.id}`)).statusCode).toBe(204);
    t.clock.advance(1);
    const response = await redeemCode(t, app, pending);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_grant');
  });

  it('unknown user or consent → 404 not_found, nothing revoked; no admin credential → 401', async () => {
    const app = await createCodeClient(t);
    const tokens = await tokensFor(app, new Browser(t));
    const before = (await t.store.listActiveRevocations(t.clock.now())).length;
    for (const [method, url] of [
      ['GET', '/admin/users/usr_nobody/consents'],
      ['DELETE', `/admin/users/usr_nobody/consents/${app.id}`],
      ['DELETE', `/admin/users/${alice.id}/consents/cli_nobody`],
    ] as const) {
      const response = await admin(method, url);
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error).toBe('not_found');
    }
    expect((await admin('DELETE', `/admin/users/${alice.id}/consents/${app.id}`, {})).statusCode).toBe(401);
    expect((await t.store.listActiveRevocations(t.clock.now())).length).toBe(before);
    expect(await isActive(tokens.access_token)).toBe(true);
  });

  it('both routes are in the admin OpenAPI document', async () => {
    const response = await admin('GET', '/admin/openapi.json');
    const paths = Object.keys(response.json().paths);
    expect(paths).toContain('/admin/users/{id}/consents');
    expect(paths).toContain('/admin/users/{id}/consents/{clientId}');
  });
});
