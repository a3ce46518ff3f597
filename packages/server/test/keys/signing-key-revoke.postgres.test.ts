/**
 * Pulling a signing key on one node of two (issue 11 item 8): both nodes share one PostgreSQL
 * schema; node A pulls the key, and node B drops it from `/jwks` and refuses its tokens at
 * `/introspect` as soon as the bus event arrives over LISTEN/NOTIFY (polled, bounded wait).
 */
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../src/clock.js';
import type { Runtime } from '../../src/main.js';
import { TEST_ADMIN_TOKEN } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import { dropSchema, startPostgresNode, uniqueSchema } from '../support/postgres-nodes.js';
import { isPostgresReachable, requireService } from '../support/requirements.js';

const ok = requireService('PostgreSQL', await isPostgresReachable());
const schema = uniqueSchema('pull');
const adminHeaders = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const clock = createFixedClock(Math.floor(Date.now() / 1000));

function startNode(nodeId: string): Promise<Runtime> {
  return startPostgresNode({ schema, nodeId, clock });
}

/** Polls until `check` holds; fails only on a hang (no timed assertion). */
async function eventually(check: () => Promise<boolean>, what: string, limitMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > limitMs) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.skipIf(!ok)('pulling a signing key on PostgreSQL (two nodes, one schema)', () => {
  let a: Runtime;
  let b: Runtime;
  let c: TestClient;

  beforeAll(async () => {
    a = await startNode('node-a');
    b = await startNode('node-b');
    await a.app.ready();
    await b.app.ready();
    c = await createTestClient({ store: a.store, clock }, { permissions: ['introspect'] });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await dropSchema(schema);
  });

  async function kids(node: Runtime): Promise<string[]> {
    const response = await node.app.inject({ method: 'GET', url: '/jwks' });
    return response.json<{ keys: { kid: string }[] }>().keys.map((k) => k.kid);
  }

  async function active(node: Runtime, token: string): Promise<boolean> {
    const response = await node.app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { ...FORM, authorization: c.basic },
      payload: form({ token }),
    });
    return response.json<{ active: boolean }>().active;
  }

  it('issue 11 item 8 — a key pulled on node A leaves node B’s /jwks and B refuses its tokens', async () => {
    const issued = await b.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: c.basic },
      payload: form({ grant_type: 'client_credentials' }),
    });
    const token = issued.json<{ access_token: string }>().access_token;
    const kid = String(decodeProtectedHeader(token).kid);
    expect(await active(b, token)).toBe(true);

    const rotated = await a.app.inject({
      method: 'POST',
      url: '/admin/signing-keys/rotate',
      headers: adminHeaders,
      payload: { now: true },
    });
    expect(rotated.statusCode).toBe(201);
    await eventually(
      async () => (await kids(b)).length === (await kids(a)).length,
      'node B to see the rotation',
    );

    const pulled = await a.app.inject({
      method: 'POST',
      url: `/admin/signing-keys/${kid}/revoke`,
      headers: adminHeaders,
      payload: {},
    });
    expect(pulled.statusCode, pulled.body).toBe(200);
    await eventually(async () => !(await kids(b)).includes(kid), 'node B to unpublish the pulled key');
    expect(await active(b, token)).toBe(false);
  });
});
