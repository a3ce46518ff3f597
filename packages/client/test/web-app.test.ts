/**
 * @tessera/client/web-app against a REAL Tessera: the authorization code flow with PKCE and every
 * callback check (RFC 6749 §4.1, RFC 7636, RFC 9207, OIDC Core §3.1.3.7), and refresh-token
 * rotation (RFC 9700 §4.14) under concurrency with a compare-and-swap store.
 */

import { TesseraClientError } from '@tessera/client';
import {
  createMemoryTokenStore,
  createTokenRefresher,
  createWebAppClient,
  type WebAppClient,
} from '@tessera/client/web-app';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../server/src/store/ports.js';
import type { TestClient } from '../../server/test/support/clients.js';
import { createCodeClient, createUser } from '../../server/test/support/login.js';
import { signInAt } from './support/sign-in.js';
import { type ListeningTessera, startTessera } from './support/tessera.js';

const REDIRECT_URI = 'https://app.example.com/callback';

let tessera: ListeningTessera;
let user: UserRecord;
let registered: TestClient;
let webApp: WebAppClient;

beforeAll(async () => {
  tessera = await startTessera();
  user = await createUser(tessera.t);
});
afterAll(() => tessera?.close());
beforeEach(async () => {
  registered = await createCodeClient(tessera.t, {
    firstParty: true,
    scope: ['read', 'write'],
    postLogoutRedirectUris: ['https://app.example.com/signed-out'],
  });
  webApp = createWebAppClient({
    issuer: tessera.issuer,
    clientId: registered.id,
    clientSecret: registered.secret,
    redirectUri: REDIRECT_URI,
    scope: 'openid offline_access read',
    postLogoutRedirectUri: 'https://app.example.com/signed-out',
    clock: tessera.t.clock,
  });
});

async function signIn() {
  const { url, transaction } = await webApp.startAuthorization();
  const callback = await signInAt(tessera.t, tessera.issuer, url);
  return { url, transaction, callback };
}

async function signedIn() {
  const { callback, transaction } = await signIn();
  return webApp.handleCallback(callback, transaction);
}

describe('authorization code + PKCE', () => {
  it('RFC 7636 §4.3 / OIDC Core §3.1.2.1 — the authorize URL carries S256 challenge, state and nonce', async () => {
    const { url, transaction } = await webApp.startAuthorization();
    expect(url.origin + url.pathname).toBe(`${tessera.issuer}/authorize`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).toBe(transaction.state);
    expect(url.searchParams.get('nonce')).toBe(transaction.nonce);
    expect(url.toString()).not.toContain(transaction.codeVerifier);
  });

  it('RFC 6749 §4.1.3 / OIDC Core §3.1.3.7 — the callback yields tokens and validated ID-token claims', async () => {
    const tokens = await signedIn();
    expect(tokens.accessToken).toMatch(/^ey/);
    expect(tokens.refreshToken).toMatch(/^tsr_rt_/);
    expect(tokens.idToken).toMatch(/^ey/);
    expect(tokens.claims?.sub).toBe(user.id);
    expect(tokens.claims?.aud).toBe(registered.id);
    expect(tokens.scope).toEqual(expect.arrayContaining(['openid', 'offline_access', 'read']));
  });

  it('RFC 6749 §10.12 — a callback with another state is refused before any code exchange', async () => {
    const { callback, transaction } = await signIn();
    const error = await webApp
      .handleCallback(callback, { ...transaction, state: 'not-the-state' })
      .catch((e: unknown) => e);
    expect((error as TesseraClientError).code).toBe('invalid_callback');
    // The code was not spent: the right transaction still redeems it.
    expect((await webApp.handleCallback(callback, transaction)).accessToken).toMatch(/^ey/);
  });

  it('RFC 9207 §2.4 — a callback whose iss is missing or foreign is refused (mix-up defence)', async () => {
    const { callback, transaction } = await signIn();
    const missing = new URL(callback);
    missing.searchParams.delete('iss');
    await expect(webApp.handleCallback(missing, transaction)).rejects.toMatchObject({
      code: 'invalid_callback',
    });
    const foreign = new URL(callback);
    foreign.searchParams.set('iss', 'https://evil.example');
    await expect(webApp.handleCallback(foreign, transaction)).rejects.toMatchObject({
      code: 'invalid_callback',
    });
  });

  it('RFC 7636 §4.6 — the wrong verifier is refused by Tessera (invalid_grant)', async () => {
    const { callback, transaction } = await signIn();
    const error = await webApp
      .handleCallback(callback, { ...transaction, codeVerifier: 'x'.repeat(43) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraClientError);
    expect((error as TesseraClientError).code).toBe('invalid_grant');
  });

  it('OIDC Core §3.1.3.7 — an ID token with another nonce is refused', async () => {
    const { callback, transaction } = await signIn();
    await expect(
      webApp.handleCallback(callback, { ...transaction, nonce: 'other-nonce' }),
    ).rejects.toMatchObject({
      code: 'invalid_response',
    });
  });

  it('RFC 6749 §4.1.2 — a code used twice is refused the second time', async () => {
    const { callback, transaction } = await signIn();
    await webApp.handleCallback(callback, transaction);
    await expect(webApp.handleCallback(callback, transaction)).rejects.toMatchObject({
      code: 'invalid_grant',
    });
  });

  it('RFC 6749 §4.1.2.1 — an error response (access_denied) surfaces its code', async () => {
    const thirdParty = await createCodeClient(tessera.t, { scope: ['read'] });
    const client = createWebAppClient({
      issuer: tessera.issuer,
      clientId: thirdParty.id,
      clientSecret: thirdParty.secret,
      redirectUri: REDIRECT_URI,
      scope: 'openid read',
      clock: tessera.t.clock,
    });
    const { url, transaction } = await client.startAuthorization();
    const callback = await signInAt(tessera.t, tessera.issuer, url, { consent: 'deny' });
    await expect(client.handleCallback(callback, transaction)).rejects.toMatchObject({
      code: 'access_denied',
    });
  });
});

describe('refresh-token rotation (RFC 9700 §4.14)', () => {
  it('two concurrent refreshes of one session → one network refresh; the store holds the newest refresh token', async () => {
    const tokens = await signedIn();
    const store = createMemoryTokenStore();
    await store.compareAndSwap('ses', undefined, tokens);
    const refresher = createTokenRefresher({ client: webApp, store, clock: tessera.t.clock });
    tessera.t.clock.advance(600);

    const before = await tessera.tokenRequests();
    const [a, b] = await Promise.all([refresher.getTokens('ses'), refresher.getTokens('ses')]);
    expect(await tessera.tokenRequests()).toBe(before + 1);
    expect(a.accessToken).toBe(b.accessToken);
    expect(a.accessToken).not.toBe(tokens.accessToken);

    const stored = await store.get('ses');
    expect(stored?.version).toBe(2);
    expect(stored?.tokens.refreshToken).toBe(a.refreshToken);
    expect(stored?.tokens.refreshToken).not.toBe(tokens.refreshToken);
    // The stored (newest) refresh token is the live one: it refreshes again.
    tessera.t.clock.advance(600);
    const again = await refresher.getTokens('ses');
    expect(again.refreshToken).not.toBe(a.refreshToken);
    // An ID token (for logout's id_token_hint) and the user's claims survive the rotations.
    expect(again.idToken).toMatch(/^ey/);
    expect(again.claims?.sub).toBe(user.id);
  });

  it('the API refused the access token (invalid_token) → renewed once even before expiry', async () => {
    const tokens = await signedIn();
    const store = createMemoryTokenStore();
    await store.compareAndSwap('ses', undefined, tokens);
    const refresher = createTokenRefresher({ client: webApp, store, clock: tessera.t.clock });
    expect((await refresher.getTokens('ses')).accessToken).toBe(tokens.accessToken);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => refresher.getTokens('ses', { rejected: tokens.accessToken })),
    );
    expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
    expect((await store.get('ses'))?.version).toBe(2);
  });

  it("why single flight matters: the same token refreshed again after Tessera's reuse grace → reuse, the session dies", async () => {
    const tokens = await signedIn();
    const refreshToken = tokens.refreshToken ?? '';
    // Two raw refreshes at once fall inside refreshTokens.reuseGrace: both get the same new token.
    const [a, b] = await Promise.all([webApp.refresh(refreshToken), webApp.refresh(refreshToken)]);
    expect(a.refreshToken).toBe(b.refreshToken);
    // A second caller that shows up later (no single flight, a stale copy) is reuse.
    tessera.t.clock.advance(10);
    await expect(webApp.refresh(refreshToken)).rejects.toMatchObject({
      code: 'login_required',
      reloginRequired: true,
    });
  });

  it('RFC 9700 §4.14.2 — when Tessera reports reuse, the refresher clears the session and asks for a new login', async () => {
    const tokens = await signedIn();
    const store = createMemoryTokenStore();
    await store.compareAndSwap('ses', undefined, tokens);
    const refresher = createTokenRefresher({ client: webApp, store, clock: tessera.t.clock });
    tessera.t.clock.advance(600);
    await refresher.getTokens('ses');
    tessera.t.clock.advance(10); // past refreshTokens.reuseGrace
    // An attacker replays the stolen, already-rotated refresh token: Tessera revokes the grant.
    await expect(webApp.refresh(tokens.refreshToken ?? '')).rejects.toMatchObject({ code: 'login_required' });
    tessera.t.clock.advance(600);
    const error = await refresher.getTokens('ses').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraClientError);
    expect((error as TesseraClientError).code).toBe('login_required');
    expect((error as TesseraClientError).message).toMatch(/sign in again/);
    expect(await store.get('ses')).toBeUndefined();
  });

  it('a slower writer with older tokens cannot overwrite newer ones (compare-and-swap)', async () => {
    const tokens = await signedIn();
    const store = createMemoryTokenStore();
    const first = await store.compareAndSwap('ses', undefined, tokens);
    const newer = await store.compareAndSwap('ses', first?.version, { ...tokens, refreshToken: 'newer' });
    expect(newer?.version).toBe(2);
    expect(
      await store.compareAndSwap('ses', first?.version, { ...tokens, refreshToken: 'stale' }),
    ).toBeUndefined();
    expect((await store.get('ses'))?.tokens.refreshToken).toBe('newer');
  });
});

describe('revocation and logout', () => {
  it('RFC 7009 — revoking the refresh token ends the grant', async () => {
    const tokens = await signedIn();
    await webApp.revoke(tokens.refreshToken ?? '', 'refresh_token');
    await expect(webApp.refresh(tokens.refreshToken ?? '')).rejects.toMatchObject({ code: 'login_required' });
  });

  it('OIDC RP-Initiated Logout §2 — the end-session URL carries id_token_hint, client_id and the post-logout URI', async () => {
    const tokens = await signedIn();
    const url = await webApp.endSessionUrl({ idTokenHint: tokens.idToken ?? '', state: 'bye' });
    expect(url?.origin + (url?.pathname ?? '')).toBe(`${tessera.issuer}/end-session`);
    expect(url?.searchParams.get('id_token_hint')).toBe(tokens.idToken);
    expect(url?.searchParams.get('post_logout_redirect_uri')).toBe('https://app.example.com/signed-out');
  });
});
