/**
 * Interop with passport-openidconnect 0.1.2, unmodified, as an Express relying party of a listening
 * Tessera: the authorization code flow (OIDC Core §3.1) through the login page, the code exchanged
 * with client_secret_post (what the library's `oauth` dependency sends), the ID token's claims and
 * /userinfo read into the passport profile. The library sends no PKCE, so this Tessera runs with
 * `login.requirePkce: false`, which still requires PKCE from public clients (RFC 9700 §2.1.1).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import passport from 'passport';
import { Strategy } from 'passport-openidconnect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/bootstrap.js';
import type { TestClient } from '../support/clients.js';
import { listeningServer } from '../support/listening.js';
import { Browser, createCodeClient, createUser, signIn } from '../support/login.js';

let t: TestServer & { url: string };
let rp: Server;
let rpUrl: string;
let client: TestClient;

beforeAll(async () => {
  t = await listeningServer({ 'login.requirePkce': false });
  await createUser(t);
  rp = createServer();
  await new Promise<void>((resolve) => rp.listen(0, '127.0.0.1', resolve));
  rpUrl = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`;
  client = await createCodeClient(t, {
    redirectUris: [`${rpUrl}/callback`],
    tokenEndpointAuthMethod: 'client_secret_post',
    firstParty: true,
  });

  passport.use(
    new Strategy(
      {
        issuer: t.url,
        authorizationURL: `${t.url}/authorize`,
        tokenURL: `${t.url}/token`,
        userInfoURL: `${t.url}/userinfo`,
        clientID: client.id,
        clientSecret: client.secret,
        callbackURL: `${rpUrl}/callback`,
        scope: ['profile', 'email'],
      },
      (
        issuer: string,
        profile: { id: string; username?: string; emails?: { value: string }[] },
        done: (error: null, user: object) => void,
      ) =>
        done(null, {
          issuer,
          sub: profile.id,
          username: profile.username,
          email: profile.emails?.[0]?.value,
        }),
    ),
  );
  const app = express();
  // The library keeps its `state` in req.session; one browser, so one session object is enough here.
  const session: Record<string, unknown> = {};
  app.use((req, _res, next) => {
    (req as unknown as { session: object }).session = session;
    next();
  });
  app.get('/login', passport.authenticate('openidconnect', { session: false }));
  app.get(
    '/callback',
    passport.authenticate('openidconnect', { session: false, failWithError: true }),
    (req, res) => {
      res.json((req as unknown as { user: unknown }).user);
    },
  );
  rp.on('request', app);
});

afterAll(async () => {
  await new Promise<void>((resolve) => rp.close(() => resolve()));
  await t.close();
});

describe('passport-openidconnect', () => {
  it('OIDC Core §3.1 — code flow: login page, code for tokens (client_secret_post), ID token and /userinfo into the profile', async () => {
    const start = await fetch(`${rpUrl}/login`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const authorize = new URL(String(start.headers.get('location')));
    expect(authorize.origin + authorize.pathname).toBe(`${t.url}/authorize`);

    const { location } = await signIn(new Browser(t), authorize.pathname + authorize.search, {
      issuer: t.url,
    });
    expect(location.origin + location.pathname).toBe(`${rpUrl}/callback`);
    expect(location.searchParams.get('iss')).toBe(t.url);

    const done = await fetch(location);
    expect(done.status, await done.clone().text()).toBe(200);
    const user = await t.store.findUserByUsername('alice');
    expect(await done.json()).toEqual({
      issuer: t.url,
      sub: user?.id,
      username: 'alice',
      email: 'alice@example.com',
    });
  });
});
