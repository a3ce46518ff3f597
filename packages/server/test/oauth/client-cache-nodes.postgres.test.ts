/**
 * The client cache on the token endpoint (DESIGN §4: the client record comes from memory) across
 * two server nodes on one PostgreSQL: every admin change to a client (disable, secret rotation,
 * update, delete) made on node A is refused on A's very next token request, and on node B's very
 * next one once B's bus has delivered the change (LISTEN/NOTIFY), although both nodes held the
 * client in their caches before it. RFC 6749 §5.2: a client that may not authenticate gets
 * `invalid_client` (401); a scope it no longer has gets `invalid_scope`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../src/clock.js';
import type { Topic } from '../../src/events/bus.js';
import type { Runtime } from '../../src/main.js';
import { TEST_ADMIN_TOKEN } from '../support/bootstrap.js';
import { basicAuthorization, createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import { dropSchema, startPostgresNode, uniqueSchema } from '../support/postgres-nodes.js';
import { isPostgresReachable, requireService } from '../support/requirements.js';

const ok = requireService('PostgreSQL', await isPostgresReachable());
const schema = uniqueSchema('client_cache');
const clock = createFixedClock(Math.floor(Date.now() / 1000));
const adminHeaders = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
/** Only a bus that never delivers reaches this. */
const HANG_MS = 12_000;

describe.skipIf(!ok)('client cache across nodes (PostgreSQL)', () => {
  let a: Runtime;
  let b: Runtime;

  beforeAll(async () => {
    a = await startPostgresNode({ schema, nodeId: `a-${schema}`, clock });
    await a.app.ready();
    b = await startPostgresNode({ schema, nodeId: `b-${schema}`, clock });
    await b.app.ready();
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await dropSchema(schema);
  });

  async function token(node: Runtime, authorization: string, scope?: string) {
    const response = await node.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization },
      payload: form({ grant_type: 'client_credentials', ...(scope === undefined ? {} : { scope }) }),
    });
    return { status: response.statusCode, error: response.json().error as string | undefined };
  }

  async function admin(method: 'PATCH' | 'POST' | 'DELETE', url: string, payload?: object) {
    const response = await a.app.inject({
      method,
      url,
      headers: adminHeaders,
      ...(payload === undefined ? {} : { payload }),
    });
    expect(response.statusCode, response.body).toBeLessThan(300);
    return response;
  }

  /** A promise of the next `topic` event for `clientId` on node B's bus (relayed from A). */
  function nextOnB(topic: Extract<Topic, 'client.updated' | 'client.deleted'>, clientId: string) {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${topic} not relayed to B`)), HANG_MS);
      const unsubscribe = b.bus.subscribe(topic, (event) => {
        if (event.clientId === clientId) {
          clearTimeout(timer);
          unsubscribe();
          resolve();
        }
      });
    });
  }

  /** A client both nodes have just served, so both hold it in their caches. */
  async function warmClient(): Promise<TestClient> {
    const client = await createTestClient({ store: a.store, clock });
    expect(await token(a, client.basic)).toEqual({ status: 200, error: undefined });
    expect(await token(b, client.basic)).toEqual({ status: 200, error: undefined });
    return client;
  }

  it('RFC 6749 §5.2 — a client disabled on A → invalid_client on A at once, and on B as soon as the change reached it', async () => {
    const client = await warmClient();
    const relayed = nextOnB('client.updated', client.id);
    await admin('PATCH', `/admin/clients/${client.id}`, { disabled: true });
    expect(await token(a, client.basic)).toEqual({ status: 401, error: 'invalid_client' });
    await relayed;
    expect(await token(b, client.basic)).toEqual({ status: 401, error: 'invalid_client' });
  });

  it('RFC 6749 §5.2 — a secret rotated on A without grace: the old secret → invalid_client on A at once and on B after the change; the new one works on both', async () => {
    const client = await warmClient();
    const relayed = nextOnB('client.updated', client.id);
    const rotated = await admin('POST', `/admin/clients/${client.id}/rotate-secret`, { grace: 0 });
    expect(await token(a, client.basic)).toEqual({ status: 401, error: 'invalid_client' });
    await relayed;
    expect(await token(b, client.basic)).toEqual({ status: 401, error: 'invalid_client' });
    const fresh = basicAuthorization(client.id, rotated.json().client_secret);
    expect((await token(a, fresh)).status).toBe(200);
    expect((await token(b, fresh)).status).toBe(200);
  });

  it('RFC 6749 §3.3 — a scope removed on A → invalid_scope on A at once and on B after the change', async () => {
    const client = await warmClient();
    expect((await token(b, client.basic, 'write')).status).toBe(200);
    const relayed = nextOnB('client.updated', client.id);
    await admin('PATCH', `/admin/clients/${client.id}`, { scope: 'read' });
    expect(await token(a, client.basic, 'write')).toEqual({ status: 400, error: 'invalid_scope' });
    await relayed;
    expect(await token(b, client.basic, 'write')).toEqual({ status: 400, error: 'invalid_scope' });
  });

  it('RFC 6749 §5.2 — a client deleted on A → invalid_client on A at once and on B after the change', async () => {
    const client = await warmClient();
    const relayed = nextOnB('client.deleted', client.id);
    await admin('DELETE', `/admin/clients/${client.id}`);
    expect(await token(a, client.basic)).toEqual({ status: 401, error: 'invalid_client' });
    await relayed;
    expect(await token(b, client.basic)).toEqual({ status: 401, error: 'invalid_client' });
  });
});
