/**
 * API keys follow their owner (issue 11 item 3): a disabled user's keys answer `disabled` at once
 * and work again on re-enable; a deleted user's keys are revoked and the revocation is streamed
 * like any other (an `api_key` revocation event that @tessera/verify's denylist honours).
 */
import type { RevocationEvent } from '@tessera/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient, type TestClient } from '../support/clients.js';

let t: TestServer;
let verifier: TestClient;

beforeAll(async () => {
  t = await bootstrap();
  verifier = await createTestClient(t, { grantTypes: [], permissions: ['api_keys:verify'] });
});
afterAll(() => t.close());

function admin(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>) {
  return t.app.inject({
    method,
    url: `/admin${url}`,
    headers: t.adminHeaders,
    ...(payload === undefined ? {} : { payload }),
  });
}

async function createUser(): Promise<string> {
  const response = await admin('POST', '/users', {
    username: `owner-${Math.random().toString(36).slice(2, 10)}`,
    password: 'correct horse battery staple 42',
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

async function createKey(owner: string): Promise<{ key: string; id: string }> {
  const response = await admin('POST', '/api-keys', { name: 'personal key', owner, scope: 'read' });
  expect(response.statusCode, response.body).toBe(201);
  return { key: response.json().key, id: response.json().id };
}

async function verify(key: string): Promise<Record<string, unknown>> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api-keys/verify',
    headers: { authorization: verifier.basic },
    payload: { key },
  });
  return response.json();
}

describe('API keys of users', () => {
  it('issue 11 item 3 — disabling the owning user makes the key answer disabled at once; enabling restores it', async () => {
    const owner = await createUser();
    const { key, id } = await createKey(owner);
    // Warm every cache: the answers below must not depend on a TTL running out.
    expect(await verify(key)).toMatchObject({ valid: true, key_id: id, owner });
    expect(await verify(key)).toMatchObject({ valid: true });

    expect((await admin('POST', `/users/${owner}/disable`)).statusCode).toBe(200);
    expect(await verify(key)).toEqual({ valid: false, code: 'disabled', key_id: id, owner });

    expect((await admin('POST', `/users/${owner}/enable`)).statusCode).toBe(200);
    expect(await verify(key)).toMatchObject({ valid: true, key_id: id });
    // The key itself was never touched: re-enabling the person is all it takes.
    expect((await admin('GET', `/api-keys/${id}`)).json()).toMatchObject({ status: 'active' });
  });

  it('issue 11 item 3 — deleting the owning user revokes every key, streamed as api_key revocations', async () => {
    const owner = await createUser();
    const first = await createKey(owner);
    const second = await createKey(owner);
    const bystander = await createKey(await createUser());
    expect(await verify(first.key)).toMatchObject({ valid: true });

    const streamed: RevocationEvent[] = [];
    const stop = t.bus.subscribe('revocation.created', (event) => streamed.push(event));
    try {
      expect((await admin('DELETE', `/users/${owner}`)).statusCode).toBe(204);
    } finally {
      stop();
    }

    for (const { key, id } of [first, second]) {
      expect(await verify(key)).toEqual({ valid: false, code: 'revoked', key_id: id, owner });
      expect(
        streamed.filter((event) => event.target.type === 'api_key').map((e) => e.target.value),
      ).toContain(id);
    }
    const stored = await t.store.listRevocationsSince(0, 10_000);
    expect(stored.map((event) => `${event.target.type}:${event.target.value}`)).toEqual(
      expect.arrayContaining([`api_key:${first.id}`, `api_key:${second.id}`]),
    );
    // Another person's key is untouched.
    expect(await verify(bystander.key)).toMatchObject({ valid: true });
    const audit = await t.audit.flush().then(() => t.store.listAudit({ subject: first.id }));
    expect(audit.items.map((event) => event.type)).toContain('api_key.revoked');
  });

  it('issue 11 item 3 — a key whose owning user no longer exists answers disabled', async () => {
    const owner = await createUser();
    const { key, id } = await createKey(owner);
    expect(await verify(key)).toMatchObject({ valid: true });
    // The user row removed behind the service's back (a restore, a manual fix): no one owns the key.
    await t.store.deleteUser(owner);
    t.bus.publish('user.updated', { userId: owner });
    expect(await verify(key)).toEqual({ valid: false, code: 'disabled', key_id: id, owner });
  });
});
