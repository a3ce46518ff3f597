/**
 * DPoP at the token endpoint (RFC 9449 §4, §5, §6, §8): proofs checked clause by clause, bound
 * tokens (`token_type: DPoP`, `cnf.jkt` in JWTs and at introspection), public-client refresh
 * binding, `dpop_bound_access_tokens` and server nonces.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import { type DpopKey, dpopKey, dpopProof, type ProofOptions } from '../support/dpop.js';
import {
  authorizeUrl,
  Browser,
  createPublicClient,
  createUser,
  pkcePair,
  REDIRECT_URI,
  signIn,
} from '../support/login.js';

let t: TestServer;
let c: TestClient;
let key: DpopKey;

beforeAll(async () => {
  t = await bootstrap();
  c = await createTestClient(t);
  key = await dpopKey('ES256');
});
afterAll(() => t.close());

function proof(options: ProofOptions = {}, k: DpopKey = key): Promise<string> {
  return dpopProof(k, { iat: t.clock.now(), ...options });
}

function token(
  headers: Record<string, string>,
  params: Record<string, string> = { grant_type: 'client_credentials' },
  client: TestClient = c,
) {
  return t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { ...FORM, authorization: client.basic, ...headers },
    payload: form(params),
  });
}

async function refused(headers: Record<string, string>, code = 'invalid_dpop_proof'): Promise<string> {
  const response = await token(headers);
  expect(response.statusCode).toBe(400);
  expect(response.json().error).toBe(code);
  return response.json().error_description;
}

describe('RFC 9449 §5 — a token request with a valid proof gets a bound token', () => {
  it('RFC 9449 §5/§6.1 — token_type DPoP and cnf.jkt = the RFC 7638 thumbprint of the proof key', async () => {
    const response = await token({ dpop: await proof() });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.token_type).toBe('DPoP');
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it('RFC 9449 §5 — without a proof the token stays a Bearer token with no cnf', async () => {
    const body = (await token({})).json();
    expect(body.token_type).toBe('Bearer');
    expect(decodeJwt(body.access_token).cnf).toBeUndefined();
  });

  it.each(['EdDSA', 'Ed25519', 'RS256', 'PS256'])(
    'RFC 9449 §5.1 — a proof signed with %s is accepted',
    async (alg) => {
      const other = await dpopKey(alg);
      const response = await token({ dpop: await proof({}, other) });
      expect(response.statusCode).toBe(200);
      expect(decodeJwt(response.json().access_token).cnf).toEqual({ jkt: other.jkt });
    },
  );

  it('RFC 9449 §4.3 check 9 / §4.2 — htu is compared without query and fragment', async () => {
    const response = await token({ dpop: await proof({ htu: 'http://TESSERA.test:80/token?x=1#frag' }) });
    expect(response.statusCode).toBe(200);
  });

  it('RFC 9449 §6.2 — introspection of a bound JWT answers token_type DPoP and cnf.jkt', async () => {
    const accessToken = (await token({ dpop: await proof() })).json().access_token;
    const answer = await t.app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { ...FORM, authorization: c.basic },
      payload: form({ token: accessToken }),
    });
    expect(answer.json()).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
  });

  it('RFC 9449 §6.2 — an opaque bound token stores its jkt and introspection reports it', async () => {
    const opaque = await createTestClient(t, { tokenFormat: 'opaque' });
    const issued = await token({ dpop: await proof() }, undefined, opaque);
    expect(issued.json().token_type).toBe('DPoP');
    const answer = await t.app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { ...FORM, authorization: opaque.basic },
      payload: form({ token: issued.json().access_token }),
    });
    expect(answer.json()).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
  });

  it('RFC 9449 §5.1 — discovery lists dpop_signing_alg_values_supported', async () => {
    const meta = (await t.app.inject({ url: '/.well-known/oauth-authorization-server' })).json();
    expect(meta.dpop_signing_alg_values_supported).toEqual(['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256']);
  });
});

describe('RFC 9449 §4.3 — a bad proof gets invalid_dpop_proof (400), never a token', () => {
  it('RFC 9449 §11.1 — a replayed proof (same jti) is refused', async () => {
    const once = await proof();
    expect((await token({ dpop: once })).statusCode).toBe(200);
    expect(await refused({ dpop: once })).toMatch(/already used/);
  });

  it('RFC 9449 §4.3 check 8 — wrong htm', async () => {
    expect(await refused({ dpop: await proof({ htm: 'GET' }) })).toMatch(/htm/);
  });

  it('RFC 9449 §4.3 check 9 — wrong htu (another path, another origin)', async () => {
    expect(await refused({ dpop: await proof({ htu: 'http://tessera.test/userinfo' }) })).toMatch(/htu/);
    expect(await refused({ dpop: await proof({ htu: 'https://tessera.test/token' }) })).toMatch(/htu/);
    expect(await refused({ dpop: await proof({ htu: 'not a url' }) })).toMatch(/htu/);
  });

  it('RFC 9449 §4.3 check 11 — a stale iat, or one from the future, beyond the window', async () => {
    expect(await refused({ dpop: await proof({ iat: t.clock.now() - 61 }) })).toMatch(/iat/);
    expect(await refused({ dpop: await proof({ iat: t.clock.now() + 61 }) })).toMatch(/iat/);
    expect((await token({ dpop: await proof({ iat: t.clock.now() - 59 }) })).statusCode).toBe(200);
  });

  it('RFC 9449 §4.3 check 5/6 — a jwk with a private part is refused', async () => {
    const privateJwk = { ...key.publicJwk, d: 'AAAA' };
    expect(await refused({ dpop: await proof({ header: { jwk: privateJwk } }) })).toMatch(/private/);
  });

  it('RFC 9449 §4.3 check 5 — an algorithm outside the list (ES384) is refused', async () => {
    const es384 = await dpopKey('ES384');
    expect(await refused({ dpop: await proof({}, es384) })).toMatch(/algorithm/);
  });

  it('RFC 9449 §4.3 check 4 — typ other than dpop+jwt is refused', async () => {
    expect(await refused({ dpop: await proof({ header: { typ: 'JWT' } }) })).toMatch(/typ/);
  });

  it('RFC 9449 §4.3 check 6 — a signature by another key than the jwk is refused', async () => {
    const other = await dpopKey('ES256');
    expect(await refused({ dpop: await proof({ header: { jwk: other.publicJwk } }) })).toMatch(/signature/);
  });

  it('RFC 9449 §4.3 check 2 — not a JWS at all, and a huge proof, are refused without a 500', async () => {
    expect(await refused({ dpop: 'not-a-jwt' })).toMatch(/JWS/);
    const huge = await proof({ claims: { pad: 'x'.repeat(9000) } });
    expect(await refused({ dpop: huge })).toMatch(/too large/);
  });

  it('RFC 9449 §4.3 check 1 — two DPoP headers are refused', async () => {
    const twice = `${await proof()}, ${await proof()}`;
    expect(await refused({ dpop: twice })).toMatch(/Exactly one/);
  });

  it('RFC 9449 §4.3 check 7 — a proof without jti is refused', async () => {
    expect(await refused({ dpop: await proof({ jti: '' }) })).toMatch(/jti/);
  });
});

describe('RFC 9449 §5.2 — dpop_bound_access_tokens', () => {
  it('RFC 9449 §5.2 — a client that requires bound tokens is refused a token without a proof', async () => {
    const bound = await createTestClient(t, { dpopBoundAccessTokens: true });
    const response = await token({}, undefined, bound);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_dpop_proof');
    expect((await token({ dpop: await proof() }, undefined, bound)).json().token_type).toBe('DPoP');
  });

  it('RFC 9449 §5.2 — the admin API sets and shows dpop_bound_access_tokens', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: t.adminHeaders,
      payload: { name: 'bound', dpop_bound_access_tokens: true, scope: 'read' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().dpop_bound_access_tokens).toBe(true);
    const id = created.json().client_id;
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/admin/clients/${id}`,
      headers: t.adminHeaders,
      payload: { dpop_bound_access_tokens: false },
    });
    expect(patched.json().dpop_bound_access_tokens).toBe(false);
  });
});

describe('RFC 9449 §5 — refresh tokens of public clients are bound to the DPoP key', () => {
  async function codeTokens(client: TestClient, dpop?: string) {
    const pkce = pkcePair();
    const { code } = await signIn(
      new Browser(t),
      authorizeUrl(client.client, {
        scope: 'read',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      }),
    );
    return t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, ...(dpop === undefined ? {} : { dpop }) },
      payload: form({
        grant_type: 'authorization_code',
        code: code ?? '',
        redirect_uri: REDIRECT_URI,
        client_id: client.id,
        code_verifier: pkce.verifier,
      }),
    });
  }

  function refresh(client: TestClient, refreshToken: string, dpop?: string) {
    return t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, ...(dpop === undefined ? {} : { dpop }) },
      payload: form({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: client.id }),
    });
  }

  it('RFC 9449 §5 — refresh with the same key works; with another key or none → invalid_grant', async () => {
    await createUser(t);
    const app = await createPublicClient(t, { firstParty: true });
    const first = await codeTokens(app, await proof());
    expect(first.statusCode).toBe(200);
    expect(first.json().token_type).toBe('DPoP');
    const refreshToken = first.json().refresh_token as string;

    const other = await dpopKey('ES256');
    const withOther = await refresh(app, refreshToken, await proof({}, other));
    expect(withOther.statusCode).toBe(400);
    expect(withOther.json().error).toBe('invalid_grant');
    const without = await refresh(app, refreshToken);
    expect(without.json().error).toBe('invalid_grant');

    const rotated = await refresh(app, refreshToken, await proof());
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json().token_type).toBe('DPoP');
    expect(decodeJwt(rotated.json().access_token).cnf).toEqual({ jkt: key.jkt });
    // The successor stays bound to the same key.
    const next = rotated.json().refresh_token as string;
    expect((await refresh(app, next, await proof({}, other))).json().error).toBe('invalid_grant');
    expect((await refresh(app, next, await proof())).statusCode).toBe(200);
  });
});

describe('RFC 9449 §10 — authorization code binding with dpop_jkt', () => {
  async function boundCode(client: TestClient, dpopJkt: string) {
    const pkce = pkcePair();
    const { code, location } = await signIn(
      new Browser(t),
      authorizeUrl(client.client, {
        scope: 'read',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
        dpop_jkt: dpopJkt,
      }),
      { username: 'carol' },
    );
    return { code: code ?? '', verifier: pkce.verifier, location };
  }

  function redeem(client: TestClient, code: string, verifier: string, dpop?: string) {
    return t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, ...(dpop === undefined ? {} : { dpop }) },
      payload: form({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        client_id: client.id,
        code_verifier: verifier,
      }),
    });
  }

  it('RFC 9449 §10 — the code is redeemed only with a proof by the dpop_jkt key', async () => {
    await createUser(t, 'carol');
    const client = await createPublicClient(t, { firstParty: true });
    const other = await dpopKey('ES256');

    const first = await boundCode(client, key.jkt);
    const wrong = await redeem(client, first.code, first.verifier, await proof({}, other));
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error).toBe('invalid_grant');

    const second = await boundCode(client, key.jkt);
    expect((await redeem(client, second.code, second.verifier)).json().error).toBe('invalid_grant');

    const third = await boundCode(client, key.jkt);
    const ok = await redeem(client, third.code, third.verifier, await proof());
    expect(ok.statusCode).toBe(200);
    expect(ok.json().token_type).toBe('DPoP');
  });

  it('RFC 9449 §10 — a malformed dpop_jkt is refused at /authorize (redirected invalid_request)', async () => {
    const client = await createPublicClient(t, { firstParty: true });
    const { location } = await boundCode(client, 'not-a-thumbprint');
    expect(location.searchParams.get('error')).toBe('invalid_request');
  });
});

describe('RFC 9449 §7 — /userinfo accepts a DPoP-bound token with its proof', () => {
  it('RFC 9449 §7.1 — DPoP scheme + proof → claims; as Bearer, or with another key → 401', async () => {
    await createUser(t, 'bob');
    const oidc = await createPublicClient(t, { firstParty: true, scope: ['openid', 'read'] });
    const pkce = pkcePair();
    const { code } = await signIn(
      new Browser(t),
      authorizeUrl(oidc.client, {
        scope: 'openid',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      }),
      { username: 'bob' },
    );
    const issued = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, dpop: await proof() },
      payload: form({
        grant_type: 'authorization_code',
        code: code ?? '',
        redirect_uri: REDIRECT_URI,
        client_id: oidc.id,
        code_verifier: pkce.verifier,
      }),
    });
    const accessToken = issued.json().access_token as string;
    const userinfo = async (authorization: string, dpop?: string) =>
      t.app.inject({
        method: 'GET',
        url: '/userinfo',
        headers: { authorization, ...(dpop === undefined ? {} : { dpop }) },
      });
    const htu = 'http://tessera.test/userinfo';
    const ok = await userinfo(`DPoP ${accessToken}`, await proof({ htm: 'GET', htu, accessToken }));
    expect(ok.statusCode).toBe(200);
    expect(ok.json().sub).toMatch(/^usr_/);

    const asBearer = await userinfo(`Bearer ${accessToken}`);
    expect(asBearer.statusCode).toBe(401);
    expect(asBearer.json().error).toBe('invalid_token');

    const other = await dpopKey('ES256');
    const wrongKey = await userinfo(
      `DPoP ${accessToken}`,
      await proof({ htm: 'GET', htu, accessToken }, other),
    );
    expect(wrongKey.statusCode).toBe(401);
    expect(wrongKey.json().error).toBe('invalid_dpop_proof');
    expect(wrongKey.headers['www-authenticate']).toMatch(/^DPoP /);

    const wrongAth = await userinfo(`DPoP ${accessToken}`, await proof({ htm: 'GET', htu, ath: 'x' }));
    expect(wrongAth.json().error).toBe('invalid_dpop_proof');
  });
});

describe('RFC 9449 §8 — server nonces', () => {
  let n: TestServer;
  let nc: TestClient;
  beforeAll(async () => {
    n = await bootstrap({ 'dpop.requireNonce': true, 'dpop.nonceLifetime': '60s' });
    nc = await createTestClient(n);
  });
  afterAll(() => n.close());

  function nonceToken(dpop: string) {
    return n.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: nc.basic, dpop },
      payload: form({ grant_type: 'client_credentials' }),
    });
  }

  it('RFC 9449 §8 — no nonce → 400 use_dpop_nonce with a DPoP-Nonce header; the retry with it succeeds', async () => {
    const first = await nonceToken(await dpopProof(key, { iat: n.clock.now() }));
    expect(first.statusCode).toBe(400);
    expect(first.json().error).toBe('use_dpop_nonce');
    const nonce = first.headers['dpop-nonce'];
    expect(typeof nonce).toBe('string');
    const retry = await nonceToken(await dpopProof(key, { iat: n.clock.now(), nonce: String(nonce) }));
    expect(retry.statusCode).toBe(200);
    expect(retry.json().token_type).toBe('DPoP');
    expect(retry.headers['dpop-nonce']).toBe(nonce);
  });

  it('RFC 9449 §8 — a wrong nonce, and a nonce two lifetimes old, get use_dpop_nonce', async () => {
    const wrong = await nonceToken(await dpopProof(key, { iat: n.clock.now(), nonce: 'made-up' }));
    expect(wrong.json().error).toBe('use_dpop_nonce');
    const nonce = String(wrong.headers['dpop-nonce']);
    n.clock.advance(60);
    const previous = await nonceToken(await dpopProof(key, { iat: n.clock.now(), nonce }));
    expect(previous.statusCode).toBe(200);
    expect(previous.headers['dpop-nonce']).not.toBe(nonce);
    n.clock.advance(60);
    const old = await nonceToken(await dpopProof(key, { iat: n.clock.now(), nonce }));
    expect(old.json().error).toBe('use_dpop_nonce');
  });
});
