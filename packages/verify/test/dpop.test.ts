/**
 * DPoP at the resource server (RFC 9449 §7, §9): `@tessera/verify` against a real Tessera that
 * issues DPoP-bound JWT and opaque tokens. Requests are web `Request`s, so the method and URL are
 * the ones the proof must name.
 */
import type { TokenResponse } from '@tessera/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORM, form } from '../../server/test/support/clients.js';
import {
  athOf,
  type DpopKey,
  dpopKey,
  dpopProof,
  type ProofOptions,
} from '../../server/test/support/dpop.js';
import { createVerifier, type Verifier } from '../src/index.js';
import { refusal } from './support/flows.js';
import {
  API,
  createApiServerClient,
  type RegisteredClient,
  startTessera,
  type Tessera,
} from './support/tessera.js';

const URL_ = `${API}/cookies`;

let t: Tessera;
let app: RegisteredClient;
let opaqueApp: RegisteredClient;
let api: RegisteredClient;
let key: DpopKey;
let verifier: Verifier;

async function boundToken(client: RegisteredClient, k: DpopKey = key): Promise<string> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/token',
    headers: {
      ...FORM,
      authorization: client.basic,
      dpop: await dpopProof(k, { iat: t.clock.now(), htu: `${t.url}/token` }),
    },
    payload: form({ grant_type: 'client_credentials', scope: 'cookies:read' }),
  });
  expect(response.statusCode, response.body).toBe(200);
  const body = response.json() as TokenResponse;
  expect(body.token_type).toBe('DPoP');
  return body.access_token;
}

function request(
  authorization: string,
  proof?: string,
  options: { method?: string; url?: string } = {},
): Request {
  const headers: Record<string, string> = { authorization };
  if (proof !== undefined) {
    headers.dpop = proof;
  }
  return new Request(options.url ?? URL_, { method: options.method ?? 'GET', headers });
}

function proofFor(token: string, options: ProofOptions = {}, k: DpopKey = key): Promise<string> {
  return dpopProof(k, { htm: 'GET', htu: URL_, iat: t.clock.now(), accessToken: token, ...options });
}

beforeAll(async () => {
  t = await startTessera();
  app = await t.createClient();
  opaqueApp = await t.createClient({ format: 'opaque' });
  api = await createApiServerClient(t);
  key = await dpopKey('ES256');
  verifier = createVerifier({
    issuer: t.url,
    audience: API,
    realm: 'cookie-jar',
    client: { clientId: api.clientId, clientSecret: api.clientSecret },
    now: () => t.clock.now(),
    revocations: false,
  });
});
afterAll(async () => {
  await verifier.close();
  await t.close();
});

describe('RFC 9449 §7 — a DPoP-bound token with a proof by its key', () => {
  it('RFC 9449 §7.1 — JWT with cnf.jkt, DPoP scheme and a matching proof → accepted', async () => {
    const token = await boundToken(app);
    const verified = await verifier.verify(request(`DPoP ${token}`, await proofFor(token)));
    expect(verified.claims.cnf).toEqual({ jkt: key.jkt });
  });

  it('RFC 9449 §7.1 — an opaque bound token: cnf.jkt from introspection is enforced too', async () => {
    const token = await boundToken(opaqueApp);
    await expect(verifier.verify(request(`DPoP ${token}`, await proofFor(token)))).resolves.toMatchObject({
      tokenType: 'opaque',
    });
    const other = await dpopKey('ES256');
    const error = await refusal(verifier.verify(request(`DPoP ${token}`, await proofFor(token, {}, other))));
    expect(error.code).toBe('invalid_dpop_proof');
  });

  it('RFC 9449 §7.2 — a bound token presented as Bearer is refused (invalid_token)', async () => {
    const token = await boundToken(app);
    const error = await refusal(verifier.verify(request(`Bearer ${token}`, await proofFor(token))));
    expect(error.code).toBe('invalid_token');
    expect(error.status).toBe(401);
    expect(error.wwwAuthenticate).toMatch(/^Bearer realm="cookie-jar", error="invalid_token"/);
    expect(error.wwwAuthenticate).toMatch(/DPoP realm="cookie-jar", algs="ES256 EdDSA Ed25519 RS256 PS256"$/);
  });

  it('RFC 9449 §7.1 — a bound token without a proof → 401 invalid_dpop_proof with a DPoP challenge', async () => {
    const token = await boundToken(app);
    const error = await refusal(verifier.verify(request(`DPoP ${token}`)));
    expect(error.code).toBe('invalid_dpop_proof');
    expect(error.status).toBe(401);
    expect(error.wwwAuthenticate).toMatch(
      /^Bearer realm="cookie-jar", DPoP realm="cookie-jar", error="invalid_dpop_proof", error_description="[^"]+", algs="ES256 EdDSA Ed25519 RS256 PS256"$/,
    );
  });

  it('RFC 9449 §7.1 — a proof by another key than cnf.jkt is refused', async () => {
    const token = await boundToken(app);
    const other = await dpopKey('ES256');
    const error = await refusal(verifier.verify(request(`DPoP ${token}`, await proofFor(token, {}, other))));
    expect(error.code).toBe('invalid_dpop_proof');
    expect(error.description).toMatch(/bound/);
  });

  it('RFC 9449 §4.3 check 12 — ath of another token is refused', async () => {
    const token = await boundToken(app);
    const error = await refusal(
      verifier.verify(request(`DPoP ${token}`, await proofFor(token, { ath: athOf('another token') }))),
    );
    expect(error.description).toMatch(/ath/);
  });

  it('RFC 9449 §11.1 — the same proof twice is refused (replay cache)', async () => {
    const token = await boundToken(app);
    const proof = await proofFor(token);
    await verifier.verify(request(`DPoP ${token}`, proof));
    const error = await refusal(verifier.verify(request(`DPoP ${token}`, proof)));
    expect(error.description).toMatch(/already used/);
  });

  it('RFC 9449 §4.3 checks 8/9 — wrong htm or htu are refused; query and fragment are ignored', async () => {
    const token = await boundToken(app);
    expect(
      (await refusal(verifier.verify(request(`DPoP ${token}`, await proofFor(token, { htm: 'POST' })))))
        .description,
    ).toMatch(/htm/);
    expect(
      (
        await refusal(
          verifier.verify(request(`DPoP ${token}`, await proofFor(token, { htu: `${API}/other` }))),
        )
      ).description,
    ).toMatch(/htu/);
    await expect(
      verifier.verify(request(`DPoP ${token}`, await proofFor(token), { url: `${URL_}?page=2` })),
    ).resolves.toBeDefined();
  });

  it('RFC 9449 §4.3 check 11 — a stale iat is refused', async () => {
    const token = await boundToken(app);
    const error = await refusal(
      verifier.verify(request(`DPoP ${token}`, await proofFor(token, { iat: t.clock.now() - 120 }))),
    );
    expect(error.description).toMatch(/iat/);
  });

  it('RFC 9449 §7.1 — an unbound token sent with the DPoP scheme is refused', async () => {
    const token = await t.token(app, 'cookies:read');
    const error = await refusal(verifier.verify(request(`DPoP ${token}`, await proofFor(token))));
    expect(error.code).toBe('invalid_token');
  });

  it('RFC 9449 §7.1 — behind a proxy, htu is checked against the configured public origin', async () => {
    const proxied = createVerifier({
      issuer: t.url,
      audience: API,
      now: () => t.clock.now(),
      revocations: false,
      dpop: { publicOrigin: 'https://public.example' },
    });
    const token = await boundToken(app);
    const proof = await proofFor(token, { htu: 'https://public.example/cookies' });
    // The server sees an internal URL; the client addressed the public one.
    await expect(
      proxied.verify(request(`DPoP ${token}`, proof, { url: 'http://10.0.0.7:8080/cookies' })),
    ).resolves.toBeDefined();
    await proxied.close();
  });
});

describe('RFC 9449 — API keys bound to a DPoP key (created with dpop_jkt / --bind-jkt)', () => {
  async function boundKey(jkt: string): Promise<{ key: string; view: Record<string, unknown> }> {
    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/api-keys',
      headers: t.adminHeaders,
      payload: { name: 'bound key', owner: app.clientId, scope: 'cookies:read', dpop_jkt: jkt },
    });
    expect(created.statusCode, created.body).toBe(201);
    return { key: created.json().key, view: created.json() };
  }

  function keyRequest(key: string, proof?: string): Request {
    const headers: Record<string, string> = { 'x-api-key': key };
    if (proof !== undefined) {
      headers.dpop = proof;
    }
    return new Request(URL_, { headers });
  }

  it('RFC 9449 §7.1 — a leaked bound key alone is refused; with a proof by its key (ath = the key) it works', async () => {
    const { key: apiKey, view } = await boundKey(key.jkt);
    expect(view.dpop_jkt).toBe(key.jkt);
    const alone = await refusal(verifier.verify(keyRequest(apiKey)));
    expect(alone.code).toBe('invalid_dpop_proof');
    expect(alone.status).toBe(401);
    await expect(verifier.verify(keyRequest(apiKey, await proofFor(apiKey)))).resolves.toMatchObject({
      tokenType: 'api_key',
    });
    // The DPoP scheme in Authorization works too.
    await expect(verifier.verify(request(`DPoP ${apiKey}`, await proofFor(apiKey)))).resolves.toBeDefined();
    const other = await dpopKey('ES256');
    const wrongKey = await refusal(verifier.verify(keyRequest(apiKey, await proofFor(apiKey, {}, other))));
    expect(wrongKey.code).toBe('invalid_dpop_proof');
    const asBearer = await refusal(verifier.verify(request(`Bearer ${apiKey}`)));
    expect(asBearer.code).toBe('invalid_token');
  });

  it('RFC 9449 §6.2 — introspection of a bound key reports cnf.jkt; a malformed thumbprint is refused', async () => {
    const { key: apiKey } = await boundKey(key.jkt);
    const answer = await t.app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { ...FORM, authorization: api.basic },
      payload: form({ token: apiKey }),
    });
    expect(answer.json()).toMatchObject({ active: true, cnf: { jkt: key.jkt } });
    const bad = await t.app.inject({
      method: 'POST',
      url: '/admin/api-keys',
      headers: t.adminHeaders,
      payload: { name: 'bad', owner: app.clientId, dpop_jkt: 'not-a-thumbprint' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('invalid_request');
  });
});

describe('RFC 9449 §9 — resource-server nonces', () => {
  it('RFC 9449 §9 — without the nonce → 401 use_dpop_nonce with DPoP-Nonce; the retry with it succeeds', async () => {
    const withNonce = createVerifier({
      issuer: t.url,
      audience: API,
      now: () => t.clock.now(),
      revocations: false,
      dpop: { nonce: true },
    });
    const token = await boundToken(app);
    const error = await refusal(withNonce.verify(request(`DPoP ${token}`, await proofFor(token))));
    expect(error.code).toBe('use_dpop_nonce');
    expect(error.status).toBe(401);
    const response = error.toResponse();
    const nonce = response.headers['dpop-nonce'];
    expect(typeof nonce).toBe('string');
    expect(response.headers['www-authenticate']).toContain('error="use_dpop_nonce"');
    await expect(
      withNonce.verify(request(`DPoP ${token}`, await proofFor(token, { nonce: String(nonce) }))),
    ).resolves.toBeDefined();
    await withNonce.close();
  });
});
