/**
 * POST /token: RFC 6749 §2.3.1, §3.2, §4.4, §5.1, §5.2, RFC 8707 — each rule of issue 3 by clause.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_GRANT } from '../device/device-support.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { basicAuthorization, createTestClient, FORM, form, type TestClient } from '../support/clients.js';

let t: TestServer;
let c: TestClient;

beforeAll(async () => {
  t = await bootstrap();
  c = await createTestClient(t);
});
afterAll(() => t.close());

function token(
  params: Record<string, string | string[]>,
  headers: Record<string, string> = { authorization: c.basic },
) {
  return t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { ...FORM, ...headers },
    payload: form(params),
  });
}

/** Deletes every stored opaque token and says how many there were (counts rows written since the last call). */
function drainAccessTokens(): Promise<number> {
  return t.store.purgeExpiredAccessTokens(Number.MAX_SAFE_INTEGER);
}

describe('RFC 6749 §4.4 client credentials', () => {
  it('RFC 6749 §4.4.3/§5.1 — valid request → 200 with access_token, token_type Bearer, expires_in, scope', async () => {
    const response = await token({ grant_type: 'client_credentials' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'read',
    });
    expect(body.refresh_token).toBeUndefined();
  });

  it('RFC 6749 §5.1 — Cache-Control: no-store and Pragma: no-cache on success', async () => {
    const response = await token({ grant_type: 'client_credentials' });
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers.pragma).toBe('no-cache');
    // RFC 6749 §5.1: "application/json"; Fastify's default for an object, in UTF-8.
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('RFC 6749 §5.1 — Cache-Control: no-store and Pragma: no-cache on errors too', async () => {
    const response = await token({ grant_type: 'client_credentials' }, {});
    expect(response.statusCode).toBe(401);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers.pragma).toBe('no-cache');
  });

  it('RFC 6749 §2.3.1 — client_secret_post works', async () => {
    const response = await token(
      { grant_type: 'client_credentials', client_id: c.id, client_secret: c.secret },
      {},
    );
    expect(response.statusCode).toBe(200);
  });

  it('RFC 6749 §2.3.1 — Basic credentials are form-urlencoded before base64 (a + in the id decodes)', async () => {
    const response = await token(
      { grant_type: 'client_credentials' },
      { authorization: basicAuthorization(c.id, c.secret) },
    );
    expect(response.statusCode).toBe(200);
  });

  it('RFC 7617 §2 — the Basic scheme name is case-insensitive', async () => {
    const response = await token(
      { grant_type: 'client_credentials' },
      { authorization: c.basic.replace('Basic', 'bAsIc') },
    );
    expect(response.statusCode).toBe(200);
  });

  it('RFC 6749 §4.4.2 — a disallowed grant for the client → unauthorized_client (400)', async () => {
    const other = await createTestClient(t, { grantTypes: ['authorization_code'] });
    const response = await token({ grant_type: 'client_credentials' }, { authorization: other.basic });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('unauthorized_client');
  });
});

describe('RFC 6749 §3.2 / §5.2 request rules', () => {
  it('RFC 6749 §5.2 — missing grant_type → invalid_request (400)', async () => {
    const response = await token({});
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
  });

  it('RFC 6749 §5.2 — unknown grant_type → unsupported_grant_type (400)', async () => {
    const response = await token({ grant_type: 'urn:example:nope' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('unsupported_grant_type');
  });

  it('RFC 6749 §3.2 — repeated grant_type → invalid_request', async () => {
    const response = await token({ grant_type: ['client_credentials', 'client_credentials'] });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
  });

  it('RFC 6749 §3.2 — repeated scope → invalid_request', async () => {
    const response = await token({ grant_type: 'client_credentials', scope: ['read', 'write'] });
    expect(response.json().error).toBe('invalid_request');
  });

  it('RFC 6749 §3.2 — repeated client_secret → invalid_request', async () => {
    const response = await token(
      { grant_type: 'client_credentials', client_id: c.id, client_secret: [c.secret, c.secret] },
      {},
    );
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
  });

  it('RFC 6749 §3.2 — repeated unknown parameter → invalid_request', async () => {
    const response = await token({ grant_type: 'client_credentials', foo: ['1', '2'] });
    expect(response.json().error).toBe('invalid_request');
  });

  it('RFC 6749 §3.2 — unknown parameters are ignored', async () => {
    const response = await token({ grant_type: 'client_credentials', foo: 'bar' });
    expect(response.statusCode).toBe(200);
  });

  it('RFC 6749 §3.1 — a parameter sent without a value is treated as omitted (empty scope → default)', async () => {
    const response = await token({ grant_type: 'client_credentials', scope: '' });
    expect(response.statusCode).toBe(200);
    expect(response.json().scope).toBe('read');
  });

  it('RFC 6749 §3.2 — GET → 405 invalid_request with Allow: POST', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/token?grant_type=client_credentials' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('POST');
    expect(response.json().error).toBe('invalid_request');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it.each(['PUT', 'DELETE', 'PATCH'] as const)('RFC 6749 §3.2 — %s → 405 invalid_request', async (method) => {
    const response = await t.app.inject({ method, url: '/token' });
    expect(response.statusCode).toBe(405);
    expect(response.json().error).toBe('invalid_request');
  });

  it('RFC 6749 §3.2 — JSON body → 400 invalid_request (RFC 6749 §5.2)', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/json', authorization: c.basic },
      payload: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
  });

  it('RFC 6749 §3.2 — malformed JSON body is refused on its content type (400), never 500', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":',
    });
    expect(response.statusCode).toBe(400);
  });

  it('RFC 6749 §3.2 — multipart body → 400 invalid_request', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'multipart/form-data; boundary=x', authorization: c.basic },
      payload:
        '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--x--\r\n',
    });
    expect(response.statusCode).toBe(400);
  });

  it('RFC 6749 §3.2 — no Content-Type → 400 invalid_request', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { authorization: c.basic },
      payload: 'grant_type=client_credentials',
    });
    expect(response.statusCode).toBe(400);
  });

  it('RFC 6749 Appendix B — a charset other than UTF-8 → 400 invalid_request', async () => {
    const response = await token(
      { grant_type: 'client_credentials' },
      {
        authorization: c.basic,
        'content-type': 'application/x-www-form-urlencoded; charset=ISO-8859-1',
      },
    );
    expect(response.statusCode).toBe(400);
  });

  it('RFC 6749 Appendix B — charset=UTF-8 is accepted', async () => {
    const response = await token(
      { grant_type: 'client_credentials' },
      {
        authorization: c.basic,
        'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
      },
    );
    expect(response.statusCode).toBe(200);
  });

  it('RFC 6749 Appendix B — a non-UTF-8 body → 400 invalid_request, nothing stored', async () => {
    const opaque = await createTestClient(t, { tokenFormat: 'opaque' });
    await drainAccessTokens();
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: opaque.basic },
      payload: Buffer.concat([
        Buffer.from('grant_type=client_credentials&scope='),
        Buffer.from([0xff, 0xfe, 0xc3]),
      ]),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
    expect(await drainAccessTokens()).toBe(0);
    // The same client with a good body does store its token (the check above can see one).
    expect(
      (await token({ grant_type: 'client_credentials' }, { authorization: opaque.basic })).statusCode,
    ).toBe(200);
    expect(await drainAccessTokens()).toBe(1);
  });

  it('RFC 6749 Appendix B — a percent-escape that decodes to invalid UTF-8 → 400 invalid_request', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: c.basic },
      payload: 'grant_type=client_credentials&scope=%ff%fe',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
  });

  it('RFC 6749 §5.2 — garbage body → 4xx JSON error, never 500', async () => {
    for (const payload of ['%%%', '=&=&&==', '\u0000\u0001', 'grant_type=%E0%A4%A', 'a'.repeat(1000)]) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/token',
        headers: { ...FORM, authorization: c.basic },
        payload,
      });
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
      expect(response.json().error).toEqual(expect.any(String));
    }
  });

  it('DESIGN §7 — a body over http.bodyLimit → 413 invalid_request', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: c.basic },
      payload: `grant_type=client_credentials&pad=${'a'.repeat(70 * 1024)}`,
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toBe('invalid_request');
  });
});

describe('RFC 6749 §2.3 / §5.2 client authentication errors', () => {
  it('RFC 6749 §5.2 — no client authentication → invalid_client (401)', async () => {
    const response = await token({ grant_type: 'client_credentials' }, {});
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
    expect(response.headers['www-authenticate']).toBeUndefined();
  });

  it('RFC 6749 §5.2 — wrong secret with Basic → 401 invalid_client with WWW-Authenticate: Basic', async () => {
    const other = await createTestClient(t);
    const response = await token(
      { grant_type: 'client_credentials' },
      { authorization: basicAuthorization(c.id, other.secret) },
    );
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
    expect(response.headers['www-authenticate']).toMatch(/^Basic realm=/);
  });

  it('RFC 6749 §5.2 — wrong secret in the body → 401 invalid_client without a Basic challenge', async () => {
    const other = await createTestClient(t);
    const response = await token(
      { grant_type: 'client_credentials', client_id: c.id, client_secret: other.secret },
      {},
    );
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
    expect(response.headers['www-authenticate']).toBeUndefined();
  });

  it('RFC 6749 §5.2 — unknown client and wrong secret give the same answer', async () => {
    const other = await createTestClient(t);
    const wrong = await token(
      { grant_type: 'client_credentials' },
      { authorization: basicAuthorization(c.id, other.secret) },
    );
    const unknown = await token(
      { grant_type: 'client_credentials' },
      { authorization: basicAuthorization('cli_unknownunknownunknow', other.secret) },
    );
    expect(unknown.statusCode).toBe(wrong.statusCode);
    expect(unknown.json()).toEqual(wrong.json());
    expect(unknown.headers['www-authenticate']).toBe(wrong.headers['www-authenticate']);
  });

  it('DESIGN §3 — a malformed secret (bad checksum) → invalid_client, same answer as a wrong one', async () => {
    const tampered = `${c.secret.slice(0, -1)}${c.secret.endsWith('A') ? 'B' : 'A'}`;
    const response = await token(
      { grant_type: 'client_credentials' },
      { authorization: basicAuthorization(c.id, tampered) },
    );
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({
      error: 'invalid_client',
      error_description: 'Client authentication failed',
    });
  });

  it('RFC 6749 §2.3.1 — malformed Basic header → 401 invalid_client with a Basic challenge', async () => {
    for (const authorization of [
      'Basic',
      'Basic !!!!',
      'Basic bm9jb2xvbg==',
      `Basic ${Buffer.from(':x').toString('base64')}`,
    ]) {
      const response = await token({ grant_type: 'client_credentials' }, { authorization });
      expect(response.statusCode).toBe(401);
      expect(response.json().error).toBe('invalid_client');
      expect(response.headers['www-authenticate']).toMatch(/^Basic /);
    }
  });

  it('RFC 6749 §2.3 — an unsupported Authorization scheme → invalid_client', async () => {
    const response = await token({ grant_type: 'client_credentials' }, { authorization: 'Bearer abc' });
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('RFC 6749 §2.3 — two authentication methods in one request → invalid_request', async () => {
    const response = await token(
      { grant_type: 'client_credentials', client_id: c.id, client_secret: c.secret },
      { authorization: c.basic },
    );
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
  });

  it('RFC 6749 §2.3.1 — client_id in the body that differs from Basic → invalid_request', async () => {
    const other = await createTestClient(t);
    const response = await token({ grant_type: 'client_credentials', client_id: other.id });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
  });

  it('RFC 6749 §2.3.1 — client_id in the body equal to the Basic one is fine', async () => {
    const response = await token({ grant_type: 'client_credentials', client_id: c.id });
    expect(response.statusCode).toBe(200);
  });

  it('RFC 6749 §2.3.1 — client credentials in the URL query → invalid_request', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: `/token?client_id=${c.id}&client_secret=${c.secret}`,
      headers: FORM,
      payload: form({ grant_type: 'client_credentials' }),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
    expect(response.body).not.toContain(c.secret);
  });

  it('RFC 6749 §2.3.1 — client_secret_post without client_id → invalid_client', async () => {
    const response = await token({ grant_type: 'client_credentials', client_secret: c.secret }, {});
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('RFC 6749 §5.2 — a disabled client → invalid_client', async () => {
    const disabled = await createTestClient(t, { disabled: true });
    const response = await token({ grant_type: 'client_credentials' }, { authorization: disabled.basic });
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('RFC 6749 §5.2 — an expired (rotated-away) secret → invalid_client; the current one works', async () => {
    const rotating = await createTestClient(t);
    const now = t.clock.now();
    const { mintSecret, hashSecret } = await import('../../src/ids.js');
    const next = mintSecret('cs');
    await t.store.rotateClientSecret(
      rotating.id,
      { hash: hashSecret(next), start: 'x', createdAt: now, expiresAt: null },
      now + 10,
      now,
    );
    t.bus.publish('client.updated', { clientId: rotating.id });
    expect(
      (await token({ grant_type: 'client_credentials' }, { authorization: rotating.basic })).statusCode,
    ).toBe(200);
    t.clock.advance(11);
    expect(
      (await token({ grant_type: 'client_credentials' }, { authorization: rotating.basic })).statusCode,
    ).toBe(401);
    expect(
      (
        await token(
          { grant_type: 'client_credentials' },
          { authorization: basicAuthorization(rotating.id, next) },
        )
      ).statusCode,
    ).toBe(200);
  });

  it('RFC 6749 §4.4 — a public client (auth method none) cannot authenticate at the token endpoint', async () => {
    const pub = await createTestClient(t, { tokenEndpointAuthMethod: 'none', secrets: [] });
    const response = await token({ grant_type: 'client_credentials', client_id: pub.id }, {});
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('unauthorized_client');
  });

  it('RFC 6749 §2.3.1 — HTTP Basic with an empty password (what oidc-agent sends) names a public client: the device flow starts and polls', async () => {
    const device = await createTestClient(t, {
      grantTypes: [DEVICE_GRANT],
      tokenEndpointAuthMethod: 'none',
      secrets: [],
    });
    const authorization = basicAuthorization(device.id, '');
    const start = await t.app.inject({
      method: 'POST',
      url: '/device_authorization',
      headers: { ...FORM, authorization },
      payload: form({ scope: 'read' }),
    });
    expect(start.statusCode, start.body).toBe(200);
    const polled = await token(
      { grant_type: DEVICE_GRANT, device_code: start.json<{ device_code: string }>().device_code },
      { authorization },
    );
    expect(polled.statusCode).toBe(400);
    expect(polled.json().error).toBe('authorization_pending');
  });

  it('RFC 6749 §2.3.1 — HTTP Basic with an empty password from a confidential client → 401 invalid_client with a Basic challenge', async () => {
    const response = await token(
      { grant_type: 'client_credentials' },
      { authorization: basicAuthorization(c.id, '') },
    );
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
    expect(response.headers['www-authenticate']).toMatch(/^Basic /);
  });

  it('RFC 6749 §3.1 — an empty client_secret in the body counts as omitted: a public client is `none`, a confidential one is refused', async () => {
    const pub = await createTestClient(t, { tokenEndpointAuthMethod: 'none', secrets: [] });
    const asPublic = await token(
      { grant_type: 'client_credentials', client_id: pub.id, client_secret: '' },
      {},
    );
    expect(asPublic.statusCode).toBe(400);
    expect(asPublic.json().error).toBe('unauthorized_client');
    const asConfidential = await token(
      { grant_type: 'client_credentials', client_id: c.id, client_secret: '' },
      {},
    );
    expect(asConfidential.statusCode).toBe(401);
    expect(asConfidential.json().error).toBe('invalid_client');
  });

  it('RFC 6749 §2.3 — a confidential client sending only client_id → invalid_client', async () => {
    const response = await token({ grant_type: 'client_credentials', client_id: c.id }, {});
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('RFC 6749 §5.2 — error bodies never echo the presented secret', async () => {
    const response = await token(
      { grant_type: 'client_credentials', client_id: c.id, client_secret: `${c.secret}x` },
      {},
    );
    expect(response.body).not.toContain(c.secret);
  });
});

describe('RFC 6749 §3.3 scope', () => {
  it('RFC 6749 §3.3 — requested ⊆ allowed → granted as requested, scope in the response', async () => {
    const response = await token({ grant_type: 'client_credentials', scope: 'write read' });
    expect(response.json().scope).toBe('write read');
    expect(decodeJwt(response.json().access_token).scope).toBe('write read');
  });

  it('RFC 6749 §3.3 — omitted → the client default scope', async () => {
    expect((await token({ grant_type: 'client_credentials' })).json().scope).toBe('read');
  });

  it('RFC 6749 §3.3 — omitted with no default → every allowed scope', async () => {
    const noDefault = await createTestClient(t, { defaultScope: [] });
    expect(
      (await token({ grant_type: 'client_credentials' }, { authorization: noDefault.basic })).json().scope,
    ).toBe('read write admin');
  });

  it('RFC 6749 §5.2 — a scope the client may not have → invalid_scope (400)', async () => {
    const response = await token({ grant_type: 'client_credentials', scope: 'read delete' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_scope');
  });

  it('RFC 6749 §3.3 — a malformed scope token → invalid_scope', async () => {
    const response = await token({ grant_type: 'client_credentials', scope: 'read "quoted"' });
    expect(response.json().error).toBe('invalid_scope');
  });

  it('RFC 6749 §3.3 — duplicate scope tokens collapse', async () => {
    expect((await token({ grant_type: 'client_credentials', scope: 'read read' })).json().scope).toBe('read');
  });
});

describe('RFC 8707 resource indicators', () => {
  it('RFC 8707 §2 — resource → aud', async () => {
    const response = await token({ grant_type: 'client_credentials', resource: 'https://other.example.com' });
    expect(decodeJwt(response.json().access_token).aud).toBe('https://other.example.com');
  });

  it('RFC 8707 §2 — resource may repeat → aud is the list', async () => {
    const response = await token({
      grant_type: 'client_credentials',
      resource: ['https://api.example.com', 'https://other.example.com'],
    });
    expect(response.statusCode).toBe(200);
    expect(decodeJwt(response.json().access_token).aud).toEqual([
      'https://api.example.com',
      'https://other.example.com',
    ]);
  });

  it('RFC 8707 §2 — omitted → the client first audience', async () => {
    const response = await token({ grant_type: 'client_credentials' });
    expect(decodeJwt(response.json().access_token).aud).toBe('https://api.example.com');
  });

  it('RFC 8707 §2 — omitted and the client has no audience → aud is the issuer', async () => {
    const noAudience = await createTestClient(t, { audiences: [] });
    const response = await token({ grant_type: 'client_credentials' }, { authorization: noAudience.basic });
    expect(decodeJwt(response.json().access_token).aud).toBe('http://tessera.test');
  });

  it('RFC 8707 §2 — a resource the client may not use → invalid_target (400)', async () => {
    const response = await token({ grant_type: 'client_credentials', resource: 'https://evil.example.com' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_target');
  });

  it('RFC 8707 §2 — a relative resource → invalid_target', async () => {
    expect((await token({ grant_type: 'client_credentials', resource: '/api' })).json().error).toBe(
      'invalid_target',
    );
  });

  it('RFC 8707 §2 — a resource with a fragment → invalid_target', async () => {
    expect(
      (await token({ grant_type: 'client_credentials', resource: 'https://api.example.com#frag' })).json()
        .error,
    ).toBe('invalid_target');
  });
});
