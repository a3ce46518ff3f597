/**
 * Access tokens: RFC 9068 JWTs (header, claims, verification with the published JWKS) and opaque
 * `tsr_at_…` tokens (DESIGN §3).
 */
import { createHash } from 'node:crypto';
import { parseSecret } from '@tessera/protocol';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';

/** SHA-256 computed here, not with the code under test (DESIGN §3: secrets stored only as SHA-256). */
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url');

let t: TestServer;

beforeAll(async () => {
  t = await bootstrap({ 'tokens.maxAccessTokenTtl': '1h' });
});
afterAll(() => t.close());

async function issue(client: TestClient, params: Record<string, string | string[]> = {}) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { ...FORM, authorization: client.basic },
    payload: form({ grant_type: 'client_credentials', ...params }),
  });
  expect(response.statusCode).toBe(200);
  return response.json() as { access_token: string; expires_in: number; scope: string };
}

async function jwks() {
  return createLocalJWKSet((await t.app.inject({ method: 'GET', url: '/jwks' })).json());
}

describe('RFC 9068 JWT access tokens', () => {
  it('RFC 9068 §2.1 — header has typ at+jwt, the kid of a published key and the configured alg', async () => {
    const c = await createTestClient(t);
    const header = decodeProtectedHeader((await issue(c)).access_token);
    expect(header.typ).toBe('at+jwt');
    expect(header.alg).toBe('ES256');
    const published = (await t.app.inject({ method: 'GET', url: '/jwks' }))
      .json()
      .keys.map((k: { kid: string }) => k.kid);
    expect(published).toContain(header.kid);
  });

  it('RFC 9068 §2.2 — iss, sub, aud, client_id, scope, iat, exp, jti; verifies against /jwks', async () => {
    const c = await createTestClient(t);
    const { access_token } = await issue(c, { scope: 'read write' });
    const { payload } = await jwtVerify(access_token, await jwks(), {
      issuer: TEST_ISSUER,
      audience: 'https://api.example.com',
      typ: 'at+jwt',
      currentDate: new Date(t.clock.nowMs()),
    });
    expect(payload).toMatchObject({ iss: TEST_ISSUER, sub: c.id, client_id: c.id, scope: 'read write' });
    expect(payload.exp).toBe((payload.iat as number) + 600);
    expect(payload.jti).toMatch(/^jti_/);
  });

  it('RFC 9068 §2.2 — every jti is unique', async () => {
    const c = await createTestClient(t);
    const jtis = new Set<unknown>();
    for (let i = 0; i < 20; i++) {
      jtis.add(decodeJwt((await issue(c)).access_token).jti);
    }
    expect(jtis.size).toBe(20);
  });

  it('RFC 9068 §2.2 — client metadata claims are added', async () => {
    const c = await createTestClient(t, { metadata: { tenant: 'acme', roles: ['reader'] } });
    const payload = decodeJwt((await issue(c)).access_token);
    expect(payload.tenant).toBe('acme');
    expect(payload.roles).toEqual(['reader']);
  });

  it('RFC 9068 §2.2 — metadata claims can never override registered or reserved claims', async () => {
    const c = await createTestClient(t, {
      metadata: {
        iss: 'https://evil',
        sub: 'admin',
        aud: 'https://evil',
        exp: 9_999_999_999,
        nbf: 0,
        iat: 0,
        jti: 'fixed',
        client_id: 'cli_other',
        scope: 'admin',
        auth_time: 1,
        acr: 'high',
        amr: ['mfa'],
        cnf: { jkt: 'x' },
        active: false,
        token_type: 'x',
        gid: 'fam_x',
        keep: 'me',
      },
    });
    const { access_token } = await issue(c);
    const payload = decodeJwt(access_token);
    expect(payload).toMatchObject({
      iss: TEST_ISSUER,
      sub: c.id,
      aud: 'https://api.example.com',
      client_id: c.id,
      scope: 'read',
      keep: 'me',
    });
    expect(payload.jti).not.toBe('fixed');
    expect(payload.exp).toBe((payload.iat as number) + 600);
    for (const reserved of ['nbf', 'auth_time', 'acr', 'amr', 'cnf', 'active', 'token_type', 'gid']) {
      expect(payload[reserved]).toBeUndefined();
    }
  });

  it('RFC 9068 §2.2 — lifetime: the client TTL, capped at tokens.maxAccessTokenTtl', async () => {
    const short = await createTestClient(t, { accessTokenTtl: 60 });
    expect((await issue(short)).expires_in).toBe(60);
    const long = await createTestClient(t, { accessTokenTtl: 86_400 });
    const issued = await issue(long);
    expect(issued.expires_in).toBe(3600);
    const payload = decodeJwt(issued.access_token);
    expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
  });

  it('RFC 9068 §2.1 — EdDSA and RS256 keyrings sign tokens that verify against /jwks', async () => {
    for (const algorithm of ['EdDSA', 'RS256']) {
      const other = await bootstrap({ 'keys.algorithm': algorithm });
      try {
        const c = await createTestClient(other);
        const response = await other.app.inject({
          method: 'POST',
          url: '/token',
          headers: { ...FORM, authorization: c.basic },
          payload: form({ grant_type: 'client_credentials' }),
        });
        const keys = createLocalJWKSet((await other.app.inject({ method: 'GET', url: '/jwks' })).json());
        const { protectedHeader } = await jwtVerify(response.json().access_token, keys, {
          issuer: TEST_ISSUER,
          currentDate: new Date(other.clock.nowMs()),
        });
        expect(protectedHeader.alg).toBe(algorithm);
      } finally {
        await other.close();
      }
    }
  });
});

describe('DESIGN §3 opaque access tokens', () => {
  it('DESIGN §3 — opaque tokens are tsr_at_ with a valid checksum, stored only as SHA-256 with their expiry', async () => {
    const c = await createTestClient(t, { tokenFormat: 'opaque', metadata: { tenant: 'acme' } });
    const { access_token, expires_in } = await issue(c, { scope: 'write' });
    expect(access_token).toMatch(/^tsr_at_/);
    expect(parseSecret(access_token, 'at')).toBeDefined();
    const record = await t.store.findAccessToken(sha256(access_token));
    expect(record).toMatchObject({
      clientId: c.id,
      subject: c.id,
      scope: ['write'],
      audience: ['https://api.example.com'],
      claims: { tenant: 'acme' },
      revokedAt: null,
    });
    expect(record?.expiresAt).toBe((record?.issuedAt ?? 0) + expires_in);
    expect(JSON.stringify(record)).not.toContain(access_token);
  });
});
