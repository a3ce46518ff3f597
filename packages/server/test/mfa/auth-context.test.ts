/**
 * The authentication context of a sign-in (issue 13 §4): `amr` (RFC 8176), `acr` (OIDC Core §2) and
 * `auth_time` travel from the login session into the ID token, the JWT access token, the
 * introspection answer, and survive refresh unchanged; discovery lists `acr_values_supported`.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACR_MFA, ACR_PHR, ACR_PWD } from '../../src/users/authn/context.js';
import { createSessionService } from '../../src/users/session-service.js';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { form, type TestClient } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createUser,
  pkcePair,
  REDIRECT_URI,
  signIn,
} from '../support/login.js';

let t: TestServer;
let c: TestClient;

beforeEach(async () => {
  t = await bootstrap();
  await createUser(t);
  c = await createCodeClient(t, { tokenFormat: 'jwt' });
});
afterEach(async () => {
  await t.close();
});

interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token: string;
}

async function token(params: Record<string, string>, client = c) {
  return t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { authorization: client.basic, 'content-type': 'application/x-www-form-urlencoded' },
    payload: form(params),
  });
}

async function codeFlow(browser = new Browser(t), client = c): Promise<Tokens> {
  const pkce = pkcePair();
  const { code } = await signIn(
    browser,
    authorizeUrl(client.client, {
      scope: 'openid offline_access read',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    }),
  );
  const response = await token(
    {
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: REDIRECT_URI,
      code_verifier: pkce.verifier,
    },
    client,
  );
  expect(response.statusCode).toBe(200);
  return response.json<Tokens>();
}

async function verifiedIdToken(idToken: string) {
  const jwks = createLocalJWKSet((await t.app.inject({ method: 'GET', url: '/jwks' })).json());
  return (
    await jwtVerify(idToken, jwks, {
      issuer: TEST_ISSUER,
      audience: c.id,
      currentDate: new Date(t.clock.nowMs()),
    })
  ).payload;
}

describe('authentication context in tokens (RFC 8176, OIDC Core §2, RFC 9470 §4)', () => {
  it('OIDC Core §2 — a password sign-in: ID token amr [pwd], acr urn:tessera:acr:pwd, auth_time', async () => {
    const signedInAt = t.clock.now();
    const tokens = await codeFlow();
    const id = await verifiedIdToken(tokens.id_token);
    expect(id.amr).toEqual(['pwd']);
    expect(id.acr).toBe(ACR_PWD);
    expect(id.auth_time).toBe(signedInAt);
  });

  it('RFC 9470 §4 — the JWT access token carries acr, auth_time and amr', async () => {
    const signedInAt = t.clock.now();
    const claims = decodeJwt((await codeFlow()).access_token);
    expect(claims).toMatchObject({ acr: ACR_PWD, auth_time: signedInAt, amr: ['pwd'] });
  });

  it('RFC 7662 §2.2 / RFC 9470 §4 — introspection answers acr and auth_time (JWT and opaque tokens)', async () => {
    const signedInAt = t.clock.now();
    for (const format of ['jwt', 'opaque'] as const) {
      const client = await createCodeClient(t, { tokenFormat: format });
      const tokens = await codeFlow(new Browser(t), client);
      const response = await t.app.inject({
        method: 'POST',
        url: '/introspect',
        headers: { authorization: client.basic, 'content-type': 'application/x-www-form-urlencoded' },
        payload: form({ token: tokens.access_token }),
      });
      expect(response.json(), format).toMatchObject({
        active: true,
        acr: ACR_PWD,
        auth_time: signedInAt,
      });
    }
  });

  it('OIDC Core §12.2 — a refresh keeps the original auth_time, acr and amr', async () => {
    const signedInAt = t.clock.now();
    const first = await codeFlow();
    t.clock.advance(600);
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token ?? '' });
    expect(refreshed.statusCode).toBe(200);
    const body = refreshed.json<Tokens>();
    expect(decodeJwt(body.access_token)).toMatchObject({ acr: ACR_PWD, auth_time: signedInAt });
    const id = await verifiedIdToken(body.id_token);
    expect(id).toMatchObject({ acr: ACR_PWD, auth_time: signedInAt, amr: ['pwd'] });
    expect(Number(id.iat)).toBe(signedInAt + 600);
  });

  it('RFC 8176 — a session started with other methods carries their acr into the tokens', async () => {
    const user = await t.store.findUserByUsername('alice');
    const sessions = createSessionService({
      store: t.store,
      revocations: { revoke: () => Promise.reject(new Error('no revocation expected')) },
      clock: t.clock,
      audit: t.audit,
      ttl: 3600,
      maxAge: 86400,
      maxAccessTokenTtl: 3600,
    });
    for (const [amr, acr] of [
      [['hwk', 'user'], ACR_PHR],
      [['pwd', 'otp', 'mfa'], ACR_MFA],
    ] as const) {
      if (user === undefined) {
        throw new Error('no user');
      }
      const started = await sessions.start(user, { amr: [...amr], userAgent: null, ip: null });
      expect(started.session.acr).toBe(acr);
      const browser = new Browser(t);
      browser.cookies.set('tessera_session', started.secret);
      const tokens = await codeFlow(browser);
      const id = await verifiedIdToken(tokens.id_token);
      expect(id).toMatchObject({ amr: [...amr], acr });
      expect(decodeJwt(tokens.access_token).acr).toBe(acr);
    }
  });

  it('OIDC Discovery §3 — acr_values_supported lists the three levels, weakest first', async () => {
    const meta = (await t.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })).json();
    expect(meta.acr_values_supported).toEqual([ACR_PWD, ACR_MFA, ACR_PHR]);
    expect(meta.claims_supported).toEqual(expect.arrayContaining(['acr', 'amr', 'auth_time']));
  });
});
