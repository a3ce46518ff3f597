/**
 * PostgreSQL answers but refuses writes: a failover left the node on a standby, or the operator set
 * the primary read-only while it moves (`default_transaction_read_only`). Every write fails with
 * SQLSTATE 25006 (read_only_sql_transaction). That is an outage that passes without any change to
 * the request, so it must be answered 503 temporarily_unavailable with Retry-After, not 500, and
 * `/readyz` must say the node is not ready, though `select 1` still answers. The read-only setting is
 * put on a role of this test's own, so the shared PostgreSQL and the other tests are not touched.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../src/clock.js';
import type { Runtime } from '../../src/main.js';
import { TEST_ADMIN_TOKEN } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import { asSuperuser, dropSchema, startPostgresNode, uniqueSchema } from '../support/postgres-nodes.js';
import { isPostgresReachable, POSTGRES_URL, requireService } from '../support/requirements.js';
import { waitFor } from '../support/wait-for.js';

const ok = requireService('PostgreSQL', await isPostgresReachable());
const schema = uniqueSchema('read_only');
const role = `t_read_only_${randomBytes(5).toString('hex')}`;
const clock = createFixedClock(Math.floor(Date.now() / 1000));

/** Sets the role's default and ends its sessions, so the node's pool reconnects with it. */
async function setReadOnly(on: boolean): Promise<void> {
  await asSuperuser(
    on
      ? `alter role "${role}" set default_transaction_read_only = on`
      : `alter role "${role}" reset default_transaction_read_only`,
    `select pg_terminate_backend(pid) from pg_stat_activity where usename = '${role}'`,
  );
}

describe.skipIf(!ok)('a node on a PostgreSQL that refuses writes (read-only, SQLSTATE 25006)', () => {
  let node: Runtime;
  let client: TestClient;

  beforeAll(async () => {
    const database = new URL(POSTGRES_URL).pathname.slice(1);
    await asSuperuser(`create role "${role}" login`, `grant create on database "${database}" to "${role}"`);
    const url = new URL(POSTGRES_URL);
    url.username = role;
    node = await startPostgresNode({ schema, nodeId: 'read-only', clock, url: url.toString() });
    await node.app.ready();
    client = await createTestClient({ store: node.store, clock });
  });

  afterAll(async () => {
    await node?.close();
    await dropSchema(schema);
    await asSuperuser(
      `select pg_terminate_backend(pid) from pg_stat_activity where usename = '${role}'`,
      `drop owned by "${role}"`,
      `drop role if exists "${role}"`,
    ).catch(() => {});
  });

  const createClient = () =>
    node.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      payload: { name: 'while read-only' },
    });
  const revoke = async () => {
    const issued = await node.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: client.basic },
      payload: form({ grant_type: 'client_credentials', scope: 'read' }),
    });
    expect(issued.statusCode, issued.body).toBe(200);
    return node.app.inject({
      method: 'POST',
      url: '/revoke',
      headers: { ...FORM, authorization: client.basic },
      payload: form({ token: issued.json<{ access_token: string }>().access_token }),
    });
  };
  const ready = async () => (await node.app.inject({ method: 'GET', url: '/readyz' })).statusCode;

  it('writes answer 503 temporarily_unavailable with Retry-After, never 500; /readyz answers 503 though the database answers reads; both recover when writes are allowed again', async () => {
    expect(await ready()).toBe(200);
    expect((await revoke()).statusCode).toBe(200);

    await setReadOnly(true);
    // The pool's old sessions were ended: the first query on each may fail as a lost connection
    // (also 503); what matters is that no answer is a 500 and the refusal settles on read-only.
    await waitFor(ready, { what: '/readyz 503', until: (status) => status === 503 });
    for (const write of [revoke, createClient]) {
      const refused = await write();
      expect(refused.statusCode, refused.body).toBe(503);
      expect(refused.json().error).toBe('temporarily_unavailable');
      expect(refused.headers['retry-after']).toBeDefined();
    }
    // Reads still work: the database is there, it only refuses writes.
    const jwks = await node.app.inject({ method: 'GET', url: '/jwks' });
    expect(jwks.statusCode).toBe(200);

    await setReadOnly(false);
    await waitFor(ready, { what: '/readyz 200', until: (status) => status === 200 });
    expect((await revoke()).statusCode).toBe(200);
  });
});
