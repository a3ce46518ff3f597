/**
 * The token registries (issue 12 item 17): built once by the composition root, complete, and frozen
 * before the token, introspection and revocation endpoints capture them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Grant } from '../../src/oauth/grants/index.js';
import { createGrantRegistry } from '../../src/oauth/grants/registry.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';

let t: TestServer;

beforeAll(async () => {
  t = await bootstrap();
});
afterAll(() => t.close());

function fakeGrant(grantType: string): Grant {
  return {
    grantType,
    parameters: [],
    handle: () => Promise.reject(new Error('not called')),
  };
}

describe('token registries', () => {
  it('issue 12 item 17 — the grant registry is frozen: it has no set, and adding a grant after build throws', () => {
    const { grants } = t.registries;
    expect(Object.isFrozen(grants)).toBe(true);
    const asMap = grants as unknown as Map<string, Grant>;
    expect(() => asMap.set('urn:example:late', fakeGrant('urn:example:late'))).toThrow(TypeError);
    expect(() => Object.assign(grants, { extra: true })).toThrow(TypeError);
    expect(grants.has('urn:example:late')).toBe(false);
  });

  it('issue 12 item 17 — the introspector and revoker lists are frozen: nothing is added after build', () => {
    const { introspectors, revokers } = t.registries;
    expect(Object.isFrozen(t.registries)).toBe(true);
    expect(Object.isFrozen(introspectors)).toBe(true);
    expect(Object.isFrozen(revokers)).toBe(true);
    const count = introspectors.length;
    expect(() => (introspectors as unknown[]).push({})).toThrow(TypeError);
    expect(() => (revokers as unknown[]).push({})).toThrow(TypeError);
    expect(introspectors.length).toBe(count);
  });

  it('issue 12 item 17 / RFC 8414 §2 — every grant_type advertised in discovery has a handler, and every handler is advertised', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    expect(response.statusCode).toBe(200);
    const advertised = (response.json() as { grant_types_supported: string[] }).grant_types_supported;
    expect([...advertised].sort()).toEqual([...t.registries.grants.keys()].sort());
    expect([...advertised].sort()).toEqual([
      'authorization_code',
      'client_credentials',
      'refresh_token',
      'urn:ietf:params:oauth:grant-type:device_code',
    ]);
    for (const grantType of advertised) {
      expect(t.registries.grants.get(grantType)?.grantType).toBe(grantType);
    }
  });

  it('issue 12 item 17 — every token kind has its introspector (JWT, opaque, API key, refresh) and revoker (JWT, opaque, refresh)', () => {
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
    expect(t.registries.introspectors.length).toBe(4);
    expect(t.registries.revokers.length).toBe(3);
    expect(t.registries.introspectors.some((i) => i.accepts(jwt))).toBe(true);
    expect(t.registries.revokers.some((r) => r.accepts(jwt))).toBe(true);
  });

  it('issue 12 item 17 — the client-authentication methods are a frozen registry; adding one after build throws', () => {
    const methods = t.registries.clientAuthMethods;
    expect(Object.isFrozen(methods)).toBe(true);
    const asMap = methods as unknown as Map<string, unknown>;
    expect(() => asMap.set('tls_client_auth', {})).toThrow(TypeError);
    expect(() => asMap.delete('client_secret_basic')).toThrow(TypeError);
    expect([...methods.keys()]).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
  });

  it('issue 12 item 17 / RFC 8414 §2 — token_endpoint_auth_methods_supported is exactly the registry (plus none for public clients)', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    const meta = response.json() as Record<string, string[]>;
    const registered = [...t.registries.clientAuthMethods.keys()];
    expect(meta.introspection_endpoint_auth_methods_supported).toEqual(registered);
    expect(meta.token_endpoint_auth_methods_supported).toEqual([...registered, 'none']);
  });

  it('issue 12 item 17 — two grants claiming one grant_type is a wiring error', () => {
    expect(() =>
      createGrantRegistry([fakeGrant('client_credentials'), fakeGrant('client_credentials')]),
    ).toThrow(/client_credentials/);
    const registry = createGrantRegistry([fakeGrant('a'), fakeGrant('b')]);
    expect([...registry.keys()]).toEqual(['a', 'b']);
    expect(registry.size).toBe(2);
  });
});
