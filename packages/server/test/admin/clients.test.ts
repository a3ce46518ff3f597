/**
 * `/admin/clients` and `/admin/openapi.json`: the common admin checks on every route, the client
 * lifecycle (create → read → list → update → rotate → delete), validation of each metadata field,
 * secrets shown once and stored as SHA-256, and a bus event and an audit event for every change.
 */
import { createHash } from 'node:crypto';
import { isValidErrorDescription, parseSecret } from '@tessera/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/ids.js';
import { runCommonRouteTests } from '../support/admin-routes.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';

/** SHA-256 computed here, not with the code under test (DESIGN §3: secrets stored only as SHA-256). */
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url');

/** A well-formed client id that names no client. */
const UNKNOWN_ID = 'cli_AAAAAAAAAAAAAAAAAAAAAA';

/** Fixed test key (P-256), never generated per run. */
const EC_PRIVATE_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'TqF2shvhl8A_i6WW6ulEvkniS1TZlQn8CJXMCUGFt2s',
  y: 'CsOKoQZJjyJrRBgS_doIt0RB3PLkao9cJMd6oWihquY',
  d: 'OwabWx2W7FvesCs7w0zqr3VTlENkiCEc9vjMLzT1sfE',
};
const { d: _d, ...EC_PUBLIC_JWK } = EC_PRIVATE_JWK;

type Json = Record<string, unknown>;

async function createClient(t: TestServer, body: Json = { name: 'Billing', scope: 'read write' }) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/admin/clients',
    headers: t.adminHeaders,
    payload: body,
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json() as Json & { client_id: string; client_secret?: string };
}

runCommonRouteTests<{ id: string }>({
  setup: async (t) => ({ id: (await createClient(t)).client_id }),
  snapshot: (t) => t.store.listClients({ limit: 500 }),
  routes: [
    {
      name: 'POST /admin/clients',
      method: 'POST',
      url: () => '/admin/clients',
      body: () => ({ name: 'Other' }),
    },
    { name: 'GET /admin/clients', method: 'GET', url: () => '/admin/clients' },
    {
      name: 'GET /admin/clients/:id',
      method: 'GET',
      url: (f) => `/admin/clients/${f.id}`,
      unknownIdUrl: `/admin/clients/${UNKNOWN_ID}`,
    },
    {
      name: 'PATCH /admin/clients/:id',
      method: 'PATCH',
      url: (f) => `/admin/clients/${f.id}`,
      body: () => ({ name: 'Renamed' }),
      unknownIdUrl: `/admin/clients/${UNKNOWN_ID}`,
    },
    {
      name: 'DELETE /admin/clients/:id',
      method: 'DELETE',
      url: (f) => `/admin/clients/${f.id}`,
      unknownIdUrl: `/admin/clients/${UNKNOWN_ID}`,
    },
    {
      name: 'POST /admin/clients/:id/rotate-secret',
      method: 'POST',
      url: (f) => `/admin/clients/${f.id}/rotate-secret`,
      body: () => ({ grace: '1h' }),
      unknownIdUrl: `/admin/clients/${UNKNOWN_ID}/rotate-secret`,
    },
    { name: 'GET /admin/openapi.json', method: 'GET', url: () => '/admin/openapi.json' },
  ],
});

describe('/admin/clients', () => {
  let t: TestServer;
  let events: { topic: string; clientId: string }[];

  beforeEach(async () => {
    t = await bootstrap();
    events = [];
    t.bus.subscribe('client.updated', ({ clientId }) => events.push({ topic: 'client.updated', clientId }));
    t.bus.subscribe('client.deleted', ({ clientId }) => events.push({ topic: 'client.deleted', clientId }));
  });
  afterEach(async () => {
    await t.close();
  });

  async function request(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
    return t.app.inject({
      method,
      url,
      headers: t.adminHeaders,
      ...(payload === undefined ? {} : { payload: payload as Json }),
    });
  }

  async function auditTypes(): Promise<string[]> {
    await t.audit.flush();
    const page = await t.store.listAudit({ limit: 500 });
    return page.items.map((event) => event.type).reverse();
  }

  it('lifecycle: create → get → list paging → update → rotate (grace, then 0) → delete → 404', async () => {
    // Create: the secret is shown once, stored only as its SHA-256.
    const created = await createClient(t, {
      name: 'Billing',
      grant_types: ['client_credentials'],
      scope: 'read write',
      default_scope: 'read',
      audiences: ['https://api.example.com'],
      token_format: 'opaque',
      access_token_ttl: '10m',
      metadata: { tenant: 'acme' },
      permissions: ['introspect'],
    });
    const id = created.client_id;
    const secret = created.client_secret ?? '';
    expect(id).toMatch(/^cli_[A-Za-z0-9_-]{22}$/);
    expect(parseSecret(secret, 'cs')).toBeDefined();
    expect(created).toMatchObject({
      name: 'Billing',
      grant_types: ['client_credentials'],
      scope: 'read write',
      default_scope: 'read',
      audiences: ['https://api.example.com'],
      token_endpoint_auth_method: 'client_secret_basic',
      token_format: 'opaque',
      access_token_ttl: 600,
      metadata: { tenant: 'acme' },
      permissions: ['introspect'],
      first_party: false,
      disabled: false,
      jwks: null,
      jwks_uri: null,
      id_token_signed_response_alg: null,
    });
    const stored = await t.store.findClient(id);
    expect(stored?.secrets).toHaveLength(1);
    expect(stored?.secrets[0]?.hash).toBe(sha256(secret));
    expect(created.secrets).toEqual([
      { start: parseSecret(secret)?.start, created_at: t.clock.now(), expires_at: null },
    ]);
    expect(events).toEqual([{ topic: 'client.updated', clientId: id }]);

    // Get: the same view, without the secret or any hash.
    const shown = await request('GET', `/admin/clients/${id}`);
    expect(shown.statusCode).toBe(200);
    const { client_secret: _secret, ...withoutSecret } = created;
    expect(shown.json()).toEqual(withoutSecret);
    expect(shown.body).not.toContain(secret);
    expect(shown.body).not.toContain(stored?.secrets[0]?.hash);

    // List paging: oldest first (ties within a second are ordered by id, so move the clock).
    t.clock.advance(1);
    await createClient(t, { name: 'Second' });
    t.clock.advance(1);
    await createClient(t, { name: 'Third' });
    const first = await request('GET', '/admin/clients?limit=2');
    expect(first.statusCode).toBe(200);
    const page1 = first.json() as { items: Json[]; next?: string };
    expect(page1.items.map((c) => c.name)).toEqual(['Billing', 'Second']);
    expect(page1.next).toEqual(expect.any(String));
    const second = await request(
      'GET',
      `/admin/clients?limit=2&cursor=${encodeURIComponent(page1.next ?? '')}`,
    );
    const page2 = second.json() as { items: Json[]; next?: string };
    expect(page2.items.map((c) => c.name)).toEqual(['Third']);
    expect(page2.next).toBeUndefined();
    expect(first.body + second.body).not.toContain(secret);
    expect(first.body).not.toContain('hash');

    // Update (PATCH): only the fields given change.
    events.length = 0;
    t.clock.advance(10);
    const updated = await request('PATCH', `/admin/clients/${id}`, {
      scope: 'read write admin',
      access_token_ttl: null,
    });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json()).toMatchObject({
      name: 'Billing',
      scope: 'read write admin',
      default_scope: 'read',
      access_token_ttl: null,
      updated_at: t.clock.now(),
    });
    expect(events).toEqual([{ topic: 'client.updated', clientId: id }]);

    // Rotate with the default grace (1 hour): the old secret keeps working until then.
    events.length = 0;
    const rotated = await request('POST', `/admin/clients/${id}/rotate-secret`);
    expect(rotated.statusCode, rotated.body).toBe(200);
    const newSecret = (rotated.json() as Json).client_secret as string;
    expect(parseSecret(newSecret, 'cs')).toBeDefined();
    expect(newSecret).not.toBe(secret);
    expect(rotated.json()).toMatchObject({ previous_secrets_expire_at: t.clock.now() + 3600 });
    const afterGrace = await t.store.findClient(id);
    expect(afterGrace?.secrets.find((s) => s.hash === hashSecret(secret))?.expiresAt).toBe(
      t.clock.now() + 3600,
    );
    expect(afterGrace?.secrets.find((s) => s.hash === hashSecret(newSecret))?.expiresAt).toBeNull();
    expect(((rotated.json() as Json).secrets as unknown[]).length).toBe(2);
    expect(events).toEqual([{ topic: 'client.updated', clientId: id }]);

    // After the grace period the old secret is no longer shown.
    t.clock.advance(3601);
    const later = (await request('GET', `/admin/clients/${id}`)).json() as { secrets: unknown[] };
    expect(later.secrets).toHaveLength(1);

    // Rotate with grace 0: the previous secret is dead at once.
    const killed = await request('POST', `/admin/clients/${id}/rotate-secret`, { grace: 0 });
    expect(killed.statusCode).toBe(200);
    const newest = (killed.json() as Json).client_secret as string;
    const now = t.clock.now();
    const afterKill = await t.store.findClient(id);
    const previous = afterKill?.secrets.find((s) => s.hash === hashSecret(newSecret));
    expect(previous === undefined || (previous.expiresAt !== null && previous.expiresAt <= now)).toBe(true);
    expect(
      afterKill?.secrets.filter((s) => s.expiresAt === null || s.expiresAt > now).map((s) => s.hash),
    ).toEqual([hashSecret(newest)]);
    expect((killed.json() as { secrets: unknown[] }).secrets).toHaveLength(1);

    // Delete → 204, then 404 everywhere, and gone from the store.
    events.length = 0;
    const deleted = await request('DELETE', `/admin/clients/${id}`);
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect(events).toEqual([{ topic: 'client.deleted', clientId: id }]);
    expect((await request('GET', `/admin/clients/${id}`)).statusCode).toBe(404);
    expect((await request('DELETE', `/admin/clients/${id}`)).json()).toMatchObject({ error: 'not_found' });
    expect(await t.store.findClient(id)).toBeUndefined();

    // Every change is in the audit trail, and no secret is.
    expect(await auditTypes()).toEqual([
      'client.created',
      'client.created',
      'client.created',
      'client.updated',
      'client.secret_rotated',
      // OpenID CAEP credential-change, also streamed to verifiers (docs/verify.md).
      'credential.changed',
      'client.secret_rotated',
      'credential.changed',
      'client.deleted',
    ]);
    const audit = JSON.stringify((await t.store.listAudit({ limit: 500 })).items);
    for (const value of [secret, newSecret, newest]) {
      expect(audit).not.toContain(value);
      expect(audit).not.toContain(hashSecret(value));
    }
  });

  it('a public client (token_endpoint_auth_method none) gets no secret and defaults to authorization_code', async () => {
    const created = await createClient(t, {
      name: 'SPA',
      token_endpoint_auth_method: 'none',
      redirect_uris: [
        'https://app.example.com/callback',
        'com.example.app:/oauth2redirect',
        'http://127.0.0.1/cb',
      ],
      scope: 'openid profile',
    });
    expect(created.client_secret).toBeUndefined();
    expect(created).toMatchObject({ grant_types: ['authorization_code'], secrets: [] });
    expect((await t.store.findClient(created.client_id))?.secrets).toEqual([]);

    const rotate = await request('POST', `/admin/clients/${created.client_id}/rotate-secret`);
    expect(rotate.statusCode).toBe(400);
    expect(rotate.json()).toMatchObject({ error: 'invalid_request' });

    const toConfidential = await request('PATCH', `/admin/clients/${created.client_id}`, {
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(toConfidential.json()).toMatchObject({ error: 'invalid_client_metadata' });
  });

  it('private_key_jwt with a public JWK Set: no secret minted', async () => {
    const created = await createClient(t, {
      name: 'Signer',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...EC_PUBLIC_JWK, kid: 'k1', use: 'sig' }] },
    });
    expect(created.client_secret).toBeUndefined();
    expect(created.jwks).toEqual({ keys: [{ ...EC_PUBLIC_JWK, kid: 'k1', use: 'sig' }] });
  });

  describe('validation: clear 4xx naming the field, nothing written', () => {
    const cases: [
      string,
      Json,
      'invalid_request' | 'invalid_client_metadata' | 'invalid_redirect_uri',
      string,
    ][] = [
      ['missing name', { scope: 'read' }, 'invalid_client_metadata', 'name'],
      ['empty name', { name: '' }, 'invalid_client_metadata', 'name'],
      ['unknown field', { name: 'x', colour: 'red' }, 'invalid_request', 'colour'],
      [
        'unknown grant type',
        { name: 'x', grant_types: ['password'] },
        'invalid_client_metadata',
        'grant_types[0]',
      ],
      [
        'implicit grant',
        { name: 'x', grant_types: ['implicit'] },
        'invalid_client_metadata',
        'grant_types[0]',
      ],
      [
        'RFC 6749 §3.3 — scope with a quote',
        { name: 'x', scope: 'read "write"' },
        'invalid_client_metadata',
        'scope',
      ],
      [
        'RFC 6749 §3.3 — scope with a tab',
        { name: 'x', scope: 'read\twrite' },
        'invalid_client_metadata',
        'scope',
      ],
      ['scope as an array', { name: 'x', scope: ['read'] }, 'invalid_client_metadata', 'scope'],
      [
        'default_scope outside scope',
        { name: 'x', scope: 'read', default_scope: 'write' },
        'invalid_client_metadata',
        'default_scope',
      ],
      [
        'RFC 8707 §2 — relative audience',
        { name: 'x', audiences: ['api'] },
        'invalid_client_metadata',
        'audiences[0]',
      ],
      [
        'RFC 8707 §2 — audience with a fragment',
        { name: 'x', audiences: ['https://api.example.com/#x'] },
        'invalid_client_metadata',
        'audiences[0]',
      ],
      [
        'RFC 6749 §3.1.2 — redirect URI with a fragment',
        { name: 'x', grant_types: ['authorization_code'], redirect_uris: ['https://app.example.com/cb#x'] },
        'invalid_redirect_uri',
        'redirect_uris[0]',
      ],
      [
        'RFC 8252 §7.3 — plain http redirect URI off loopback',
        { name: 'x', grant_types: ['authorization_code'], redirect_uris: ['http://app.example.com/cb'] },
        'invalid_redirect_uri',
        'redirect_uris[0]',
      ],
      [
        'RFC 8252 §7.1 — a scheme that is not reverse-domain',
        { name: 'x', grant_types: ['authorization_code'], redirect_uris: ['javascript:alert(1)'] },
        'invalid_redirect_uri',
        'redirect_uris[0]',
      ],
      [
        'RFC 9700 §4.1 — wildcard redirect URI',
        { name: 'x', grant_types: ['authorization_code'], redirect_uris: ['https://*.example.com/cb'] },
        'invalid_redirect_uri',
        'redirect_uris[0]',
      ],
      [
        'relative post-logout redirect URI',
        { name: 'x', post_logout_redirect_uris: ['/logged-out'] },
        'invalid_redirect_uri',
        'post_logout_redirect_uris[0]',
      ],
      [
        'RFC 6749 §3.1.2.2 — authorization_code without redirect URIs',
        { name: 'x', grant_types: ['authorization_code'] },
        'invalid_redirect_uri',
        'redirect_uris',
      ],
      [
        'refresh_token without authorization_code',
        { name: 'x', grant_types: ['client_credentials', 'refresh_token'] },
        'invalid_client_metadata',
        'grant_types',
      ],
      [
        'public client with client_credentials',
        { name: 'x', token_endpoint_auth_method: 'none', grant_types: ['client_credentials'] },
        'invalid_client_metadata',
        'grant_types',
      ],
      [
        'unknown auth method',
        { name: 'x', token_endpoint_auth_method: 'tls_client_auth' },
        'invalid_client_metadata',
        'token_endpoint_auth_method',
      ],
      [
        'unknown token format',
        { name: 'x', token_format: 'paseto' },
        'invalid_client_metadata',
        'token_format',
      ],
      [
        'access_token_ttl not a duration',
        { name: 'x', access_token_ttl: 'soon' },
        'invalid_client_metadata',
        'access_token_ttl',
      ],
      [
        'access_token_ttl of 0',
        { name: 'x', access_token_ttl: 0 },
        'invalid_client_metadata',
        'access_token_ttl',
      ],
      [
        'access_token_ttl above the maximum',
        { name: 'x', access_token_ttl: '48h' },
        'invalid_client_metadata',
        'access_token_ttl',
      ],
      [
        'RFC 9068 §2.2 — metadata overriding sub',
        { name: 'x', metadata: { sub: 'root' } },
        'invalid_client_metadata',
        'metadata.sub',
      ],
      [
        'RFC 7662 §2.2 — metadata setting active',
        { name: 'x', metadata: { active: true } },
        'invalid_client_metadata',
        'metadata.active',
      ],
      [
        'metadata setting cnf',
        { name: 'x', metadata: { cnf: {} } },
        'invalid_client_metadata',
        'metadata.cnf',
      ],
      [
        'metadata too large',
        { name: 'x', metadata: { blob: 'x'.repeat(5000) } },
        'invalid_client_metadata',
        'metadata',
      ],
      ['metadata not an object', { name: 'x', metadata: ['a'] }, 'invalid_client_metadata', 'metadata'],
      [
        'jwks with a private key',
        { name: 'x', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [EC_PRIVATE_JWK] } },
        'invalid_client_metadata',
        'jwks.keys[0]',
      ],
      [
        'jwks with a symmetric key',
        {
          name: 'x',
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] },
        },
        'invalid_client_metadata',
        'jwks.keys[0]',
      ],
      [
        'jwks that is not a key set',
        {
          name: 'x',
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }] },
        },
        'invalid_client_metadata',
        'jwks.keys[0]',
      ],
      [
        'jwks_uri over http',
        { name: 'x', jwks_uri: 'http://keys.example.com/jwks' },
        'invalid_client_metadata',
        'jwks_uri',
      ],
      [
        'RFC 7591 §2 — both jwks and jwks_uri',
        { name: 'x', jwks: { keys: [EC_PUBLIC_JWK] }, jwks_uri: 'https://keys.example.com/jwks' },
        'invalid_client_metadata',
        'jwks',
      ],
      [
        'private_key_jwt without keys',
        { name: 'x', token_endpoint_auth_method: 'private_key_jwt' },
        'invalid_client_metadata',
        'jwks',
      ],
      [
        'unknown permission',
        { name: 'x', permissions: ['admin'] },
        'invalid_client_metadata',
        'permissions[0]',
      ],
      [
        'first_party not a boolean',
        { name: 'x', first_party: 'yes' },
        'invalid_client_metadata',
        'first_party',
      ],
    ];

    for (const [title, body, code, field] of cases) {
      it(`${title} → 400 ${code} naming ${field}`, async () => {
        const response = await request('POST', '/admin/clients', body);
        expect(response.statusCode, response.body).toBe(400);
        const error = response.json() as { error: string; error_description: string };
        expect(error.error).toBe(code);
        expect(error.error_description).toContain(field);
        // RFC 6749 §5.2: error_description stays within its character set; no key material echoed.
        expect(isValidErrorDescription(error.error_description)).toBe(true);
        expect(response.body).not.toContain(EC_PRIVATE_JWK.d);
        expect(await t.store.countClients()).toBe(0);
        expect(events).toEqual([]);
      });
    }

    it('accepts loopback http, private-use schemes and https redirect URIs (RFC 8252 §7)', async () => {
      const created = await createClient(t, {
        name: 'Native',
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [
          'http://127.0.0.1/callback',
          'http://[::1]:8080/cb',
          'com.example.app:/oauth2redirect',
          'https://example.com/cb',
        ],
      });
      expect(created.redirect_uris).toHaveLength(4);
    });

    it('PATCH is held to the same rules on the merged result, and writes nothing when refused', async () => {
      const created = await createClient(t, { name: 'Billing', scope: 'read write', default_scope: 'write' });
      const before = await t.store.findClient(created.client_id);
      events.length = 0;

      const narrowed = await request('PATCH', `/admin/clients/${created.client_id}`, { scope: 'read' });
      expect(narrowed.statusCode).toBe(400);
      expect(narrowed.json()).toMatchObject({
        error: 'invalid_client_metadata',
        error_description: expect.stringContaining('default_scope'),
      });

      const nulled = await request('PATCH', `/admin/clients/${created.client_id}`, { name: null });
      expect(nulled.json()).toMatchObject({
        error: 'invalid_client_metadata',
        error_description: expect.stringContaining('name'),
      });

      const toPublic = await request('PATCH', `/admin/clients/${created.client_id}`, {
        token_endpoint_auth_method: 'none',
      });
      expect(toPublic.json()).toMatchObject({ error: 'invalid_client_metadata' });

      const secrets = await request('PATCH', `/admin/clients/${created.client_id}`, { secrets: [] });
      expect(secrets.json()).toMatchObject({ error: 'invalid_request' });

      expect(await t.store.findClient(created.client_id)).toEqual(before);
      expect(events).toEqual([]);
    });

    it('list: a bad limit or cursor → 400 invalid_request', async () => {
      for (const query of ['limit=0', 'limit=abc', 'limit=101', 'cursor=garbage', 'colour=red']) {
        const response = await request('GET', `/admin/clients?${query}`);
        expect(response.statusCode, query).toBe(400);
        expect(response.json()).toMatchObject({ error: 'invalid_request' });
      }
    });

    it('rotate-secret: a bad grace → 400 invalid_request, secrets unchanged', async () => {
      const created = await createClient(t);
      const before = await t.store.findClient(created.client_id);
      for (const grace of ['31d', 'soon', -1, 1.5, true]) {
        const response = await request('POST', `/admin/clients/${created.client_id}/rotate-secret`, {
          grace,
        });
        expect(response.statusCode, String(grace)).toBe(400);
        expect(response.json()).toMatchObject({ error: 'invalid_request' });
      }
      expect(await t.store.findClient(created.client_id)).toEqual(before);
    });

    it('disabling or deleting a client publishes the change and revokes the tokens it holds (DESIGN §5)', async () => {
      const revoked: unknown[] = [];
      t.bus.subscribe('revocation.created', (event) => revoked.push(event.target));
      const created = await createClient(t);
      events.length = 0;
      const response = await request('PATCH', `/admin/clients/${created.client_id}`, { disabled: true });
      expect(response.json()).toMatchObject({ disabled: true });
      expect(events).toEqual([{ topic: 'client.updated', clientId: created.client_id }]);
      expect(revoked).toEqual([{ type: 'client', value: created.client_id }]);

      const other = await createClient(t);
      revoked.length = 0;
      expect((await request('DELETE', `/admin/clients/${other.client_id}`)).statusCode).toBe(204);
      expect(revoked).toEqual([{ type: 'client', value: other.client_id }]);
    });
  });
});

/** Every route of the app as `METHOD /path`, from Fastify's own route tree. */
function listRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│├└─\s]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (match === null) {
      continue;
    }
    const depth = Math.floor((match[1] ?? '').length / 4);
    stack.length = depth;
    stack.push(match[2] ?? '');
    for (const method of (match[3] ?? '').split(', ').filter((m) => m.length > 0)) {
      out.push(`${method} ${stack.join('')}`);
    }
  }
  return out;
}

describe('GET /admin/openapi.json', () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await bootstrap();
  });
  afterEach(async () => {
    await t.close();
  });

  it('is an OpenAPI 3.1 document behind the admin credential', async () => {
    const anonymous = await t.app.inject({ method: 'GET', url: '/admin/openapi.json' });
    expect(anonymous.statusCode).toBe(401);
    const response = await t.app.inject({
      method: 'GET',
      url: '/admin/openapi.json',
      headers: t.adminHeaders,
    });
    expect(response.statusCode).toBe(200);
    const doc = response.json() as Json;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.security).toEqual([{ adminToken: [] }]);
  });

  it('drift guard: every registered /admin/* route is in the document, and nothing else', async () => {
    const doc = (
      await t.app.inject({ method: 'GET', url: '/admin/openapi.json', headers: t.adminHeaders })
    ).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const registered = listRoutes(t.app.printRoutes({ commonPrefix: false }))
      .filter((route) => / \/admin\//.test(route) && !route.startsWith('HEAD '))
      .map((route) => route.replace(/:([A-Za-z0-9_]+)/g, '{$1}'));
    expect(registered).toEqual(
      expect.arrayContaining(['POST /admin/clients', 'PATCH /admin/clients/{id}', 'GET /admin/openapi.json']),
    );
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual([...new Set(registered)].sort());
  });

  it('documents the clients bodies from the validating schemas', async () => {
    const doc = (
      await t.app.inject({ method: 'GET', url: '/admin/openapi.json', headers: t.adminHeaders })
    ).json() as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: Json }> }; responses: Json }>
      >;
    };
    const create = doc.paths['/admin/clients']?.post;
    const body = create?.requestBody?.content['application/json']?.schema as {
      properties: Json;
      required: string[];
    };
    expect(Object.keys(body.properties)).toEqual(
      expect.arrayContaining([
        'name',
        'grant_types',
        'scope',
        'redirect_uris',
        'token_endpoint_auth_method',
        'access_token_ttl',
        'jwks',
      ]),
    );
    expect(body.required).toEqual(['name']);
    expect(Object.keys(create?.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '401']));
    expect(Object.keys(doc.paths['/admin/clients/{id}']?.delete?.responses ?? {})).toEqual(
      expect.arrayContaining(['204', '401', '404']),
    );
  });
});
