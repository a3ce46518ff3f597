/**
 * API keys follow their owner across nodes (issue 11 item 3): two server nodes on one PostgreSQL
 * schema; a user disabled through node A makes the key answer `disabled` on node B (whose caches
 * are warm), re-enabling restores it there, and deleting the user revokes it there. The mechanism is
 * the bus (`user.updated` over LISTEN/NOTIFY), so this runs on the real database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../src/clock.js';
import type { Runtime } from '../../src/main.js';
import { TEST_ADMIN_TOKEN } from '../support/bootstrap.js';
import { createTestClient, type TestClient } from '../support/clients.js';
import { dropSchema, startPostgresNode, uniqueSchema } from '../support/postgres-nodes.js';
import { isPostgresReachable, requireService } from '../support/requirements.js';
import { waitFor } from '../support/wait-for.js';

const ok = requireService('PostgreSQL', await isPostgresReachable());
const schema = uniqueSchema('owner');
const adminHeaders = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const clock = createFixedClock(1_800_000_000);

function startNode(nodeId: string): Promise<Runtime> {
  return startPostgresNode({ schema, nodeId, clock });
}

describe.skipIf(!ok)('API keys of users on PostgreSQL (two nodes, one schema)', () => {
  let a: Runtime;
  let b: Runtime;
  let verifier: TestClient;

  beforeAll(async () => {
    a = await startNode('node-a');
    b = await startNode('node-b');
    await a.app.ready();
    await b.app.ready();
    verifier = await createTestClient(
      { store: a.store, clock },
      { grantTypes: [], permissions: ['api_keys:verify'] },
    );
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await dropSchema(schema);
  });

  function admin(method: 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>) {
    return a.app.inject({
      method,
      url: `/admin${url}`,
      headers: adminHeaders,
      ...(payload === undefined ? {} : { payload }),
    });
  }

  async function verifyOnB(key: string): Promise<Record<string, unknown>> {
    const response = await b.app.inject({
      method: 'POST',
      url: '/api-keys/verify',
      headers: { authorization: verifier.basic },
      payload: { key },
    });
    return response.json();
  }

  /** Polls node B until `done` holds; the bound only catches a hang, it is not a speed claim. */
  async function untilOnB(key: string, done: (answer: Record<string, unknown>) => boolean) {
    return (await waitFor(() => verifyOnB(key), { what: 'node B to see the change', until: done })).value;
  }

  it('issue 11 item 3 — disable on node A → disabled on node B; enable → valid again; delete → revoked', async () => {
    const user = await admin('POST', '/users', {
      username: 'pg-owner',
      password: 'correct horse battery staple 42',
    });
    expect(user.statusCode, user.body).toBe(201);
    const owner = user.json().id as string;
    const created = await admin('POST', '/api-keys', { name: 'personal', owner, scope: 'read' });
    expect(created.statusCode, created.body).toBe(201);
    const { key, id } = created.json() as { key: string; id: string };
    // Warm node B: it answers from memory from now on.
    expect(await verifyOnB(key)).toMatchObject({ valid: true });
    expect(await verifyOnB(key)).toMatchObject({ valid: true });

    expect((await admin('POST', `/users/${owner}/disable`)).statusCode).toBe(200);
    expect(await untilOnB(key, (answer) => answer.valid !== true)).toEqual({
      valid: false,
      code: 'disabled',
      key_id: id,
      owner,
    });

    expect((await admin('POST', `/users/${owner}/enable`)).statusCode).toBe(200);
    expect(await untilOnB(key, (answer) => answer.valid === true)).toMatchObject({ valid: true, key_id: id });

    expect((await admin('DELETE', `/users/${owner}`)).statusCode).toBe(204);
    expect(await untilOnB(key, (answer) => answer.code === 'revoked')).toEqual({
      valid: false,
      code: 'revoked',
      key_id: id,
      owner,
    });
  });
});
