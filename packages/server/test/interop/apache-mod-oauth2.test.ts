/**
 * Interop (issue 19 item 3, issue 14 "Done when"): Debian's Apache `mod_oauth2` (3.3.1 on liboauth2
 * 1.4.5), unmodified, as a resource server in front of a backend, against a listening Tessera:
 * JWT access tokens verified against the JWKS (RFC 9068), opaque tokens by introspection with
 * client_secret_basic (RFC 7662), and DPoP-bound tokens with a proof (RFC 9449 §7). Our own
 * `apache2 -X` on a free loopback port (test/support/apache.ts); the backend echoes what Apache
 * passed on, so the test sees the claims mod_oauth2 forwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Apache, apacheInstalled, headerEcho, startApache } from '../support/apache.js';
import type { TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import { dpopKey, dpopProof } from '../support/dpop.js';
import { listeningServer } from '../support/listening.js';
import { requireService } from '../support/requirements.js';

const available = requireService(
  'Apache mod_oauth2 (Debian apache2, libapache2-mod-oauth2)',
  apacheInstalled(['oauth2']),
);
const AUDIENCE = 'https://api.example.com';
const DPOP_SCHEME = '\n  OAuth2AcceptTokenIn header type=DPoP';

describe.skipIf(!available)('Apache mod_oauth2 as a resource server', () => {
  let t: TestServer & { url: string };
  let apache: Apache;
  let backend: Awaited<ReturnType<typeof headerEcho>>;
  let jwtApp: TestClient;
  let opaqueApp: TestClient;
  let rs: TestClient;
  /** Issued while Tessera's clock stood two hours back: long expired for Apache, which reads the real clock. */
  const expired: Record<'jwt' | 'opaque', string> = { jwt: '', opaque: '' };

  beforeAll(async () => {
    t = await listeningServer({}, { startSeconds: Math.floor(Date.now() / 1000) - 7200 });
    jwtApp = await createTestClient(t);
    opaqueApp = await createTestClient(t, { tokenFormat: 'opaque' });
    rs = await createTestClient(t, { grantTypes: [], permissions: ['introspect'] });
    expired.jwt = await token(jwtApp);
    expired.opaque = await token(opaqueApp);
    t.clock.advance(7200);
    backend = await headerEcho();
    const discovery = (await (await fetch(`${t.url}/.well-known/oauth-authorization-server`)).json()) as {
      jwks_uri: string;
      introspection_endpoint: string;
    };
    // mod_oauth2 caches a verification result for `expiry` seconds (300 by default); 0 makes every
    // request ask again, so a revocation shows on the next request.
    const introspect = `introspect.auth=client_secret_basic&client_id=${rs.id}&client_secret=${rs.secret}&expiry=0`;
    // A DPoP location takes the token from `Authorization: DPoP …` (RFC 9449 §7.1) only.
    const location = (path: string, verify: string, accept = '') => `
<Location ${path}>
  AuthType oauth2
  OAuth2TokenVerify ${verify}
  Require oauth2_claim aud:${AUDIENCE}${accept}
  ProxyPass ${backend.url}${path}
</Location>`;
    apache = await startApache({
      modules: ['oauth2'],
      config: [
        location('/jwt', `jwks_uri ${discovery.jwks_uri} expiry=0`),
        location('/opaque', `introspect ${discovery.introspection_endpoint} ${introspect}`),
        location('/dpop', `jwks_uri ${discovery.jwks_uri} type=dpop&expiry=0`, DPOP_SCHEME),
        location(
          '/dpop-introspect',
          `introspect ${discovery.introspection_endpoint} ${introspect}&type=dpop`,
          DPOP_SCHEME,
        ),
      ].join('\n'),
    });
  });

  afterAll(async () => {
    await apache?.close();
    await backend?.close();
    await t?.close();
  });

  async function token(client: TestClient, params: Record<string, string> = {}, dpop?: string) {
    const response = await fetch(`${t.url}/token`, {
      method: 'POST',
      headers: { ...FORM, authorization: client.basic, ...(dpop ? { dpop } : {}) },
      body: form({ grant_type: 'client_credentials', resource: AUDIENCE, ...params }),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  function call(path: string, authorization: string, headers: Record<string, string> = {}) {
    return fetch(apache.url + path, { headers: { authorization, ...headers } });
  }

  async function passedOn(response: Response) {
    expect(response.status, apache.errorLog().slice(-2000)).toBe(200);
    return ((await response.json()) as { headers: Record<string, string> }).headers;
  }

  it('RFC 9068 / RFC 6750 §2.1 — a JWT verified against jwks_uri gets through with its claims; expired or for another audience it is refused', async () => {
    const headers = await passedOn(await call('/jwt', `Bearer ${await token(jwtApp)}`));
    expect(headers.oauth2_claim_client_id).toBe(jwtApp.id);
    expect(headers.oauth2_claim_sub).toBe(jwtApp.id);

    const stale = await call('/jwt', `Bearer ${expired.jwt}`);
    expect(stale.status).toBe(401);
    expect(stale.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);

    // `Require oauth2_claim aud:…` refuses it (mod_oauth2 answers an authorization failure with 401).
    const other = await call(
      '/jwt',
      `Bearer ${await token(jwtApp, { resource: 'https://other.example.com' })}`,
    );
    expect(other.status).toBe(401);

    const forged = await call('/jwt', `Bearer ${(await token(jwtApp)).slice(0, -4)}AAAA`);
    expect(forged.status).toBe(401);
  });

  it('RFC 7662 — an opaque token is introspected (client_secret_basic) and gets through; expired, revoked (RFC 7009) or for another audience it is refused', async () => {
    const opaque = await token(opaqueApp);
    expect(opaque.split('.')).toHaveLength(1);
    const headers = await passedOn(await call('/opaque', `Bearer ${opaque}`));
    expect(headers.oauth2_claim_client_id).toBe(opaqueApp.id);

    expect((await call('/opaque', `Bearer ${expired.opaque}`)).status).toBe(401);

    const other = await token(opaqueApp, { resource: 'https://other.example.com' });
    expect((await call('/opaque', `Bearer ${other}`)).status).toBe(401);

    const revoke = await fetch(`${t.url}/revoke`, {
      method: 'POST',
      headers: { ...FORM, authorization: opaqueApp.basic },
      body: form({ token: opaque }),
    });
    expect(revoke.status).toBe(200);
    expect((await call('/opaque', `Bearer ${opaque}`)).status).toBe(401);
  });

  for (const [path, how] of [
    ['/dpop', 'a JWT verified against jwks_uri'],
    ['/dpop-introspect', 'an opaque token introspected'],
  ] as const) {
    it(`RFC 9449 §7 — ${how}, DPoP-bound: accepted with a valid proof; refused as Bearer, with another key's proof or a replayed proof`, async () => {
      const key = await dpopKey('ES256');
      const client = path === '/dpop' ? jwtApp : opaqueApp;
      const bound = await token(client, {}, await dpopProof(key, { htu: `${t.url}/token` }));
      const proof = (k = key) => dpopProof(k, { htm: 'GET', htu: apache.url + path, accessToken: bound });

      const first = await proof();
      const headers = await passedOn(await call(path, `DPoP ${bound}`, { dpop: first }));
      expect(headers.oauth2_claim_client_id).toBe(client.id);

      expect((await call(path, `Bearer ${bound}`)).status).toBe(401);
      expect((await call(path, `DPoP ${bound}`)).status).toBe(401);
      expect((await call(path, `DPoP ${bound}`, { dpop: await proof(await dpopKey('ES256')) })).status).toBe(
        401,
      );
      expect((await call(path, `DPoP ${bound}`, { dpop: first })).status).toBe(401);
      const now = Math.floor(Date.now() / 1000);
      for (const wrong of [
        { htu: `${apache.url}/elsewhere` },
        { htm: 'POST' },
        { iat: now - 3600 },
        { header: { typ: 'JWT' } },
      ]) {
        const bad = await dpopProof(key, {
          htm: 'GET',
          htu: apache.url + path,
          accessToken: bound,
          ...wrong,
        });
        expect((await call(path, `DPoP ${bound}`, { dpop: bad })).status, JSON.stringify(wrong)).toBe(401);
      }
    });
  }

  // What docs/interop.md warns about, kept true by these assertions: should Debian ship a newer
  // liboauth2, they fail and the page is updated.
  it('RFC 9449 §7.1 — known gaps of Debian 12 mod_oauth2 (liboauth2 1.4.5.4): a Bearer location ignores cnf.jkt; ath is not compared', async () => {
    const key = await dpopKey('ES256');
    const bound = await token(jwtApp, {}, await dpopProof(key, { htu: `${t.url}/token` }));
    expect((await call('/jwt', `Bearer ${bound}`)).status).toBe(200);
    const otherAth = await dpopProof(key, {
      htm: 'GET',
      htu: `${apache.url}/dpop`,
      accessToken: 'another token',
    });
    expect((await call('/dpop', `DPoP ${bound}`, { dpop: otherAth })).status).toBe(200);
  });
});
