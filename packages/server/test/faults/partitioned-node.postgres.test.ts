/**
 * One node of two loses its network to PostgreSQL in the middle of a write transaction (issue
 * "Survive the database"; DESIGN §6: nodes share one database). PostgreSQL hears nothing from it: no
 * COMMIT, no FIN, and with the kernel's keep-alive defaults it would notice the dead peer only after
 * two hours. Meanwhile the session sits "idle in transaction", holding what it locked: for a
 * revocation that is the lock every revocation takes (ids must become visible in order), so no node
 * could record a revocation for as long. Tessera's sessions must be ended by PostgreSQL itself
 * after a bounded idle time in a transaction, so the other nodes write again within that bound.
 * The partition is a TCP proxy of the test's own in front of node A only, which stops forwarding
 * and keeps PostgreSQL's side of every connection open; the shared PostgreSQL is never touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../src/clock.js';
import type { Runtime } from '../../src/main.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import { type PostgresLink, startPostgresLink } from '../support/postgres-link.js';
import { dropSchema, startPostgresNode, uniqueSchema } from '../support/postgres-nodes.js';
import { isPostgresReachable, POSTGRES_URL, requireService } from '../support/requirements.js';

const ok = requireService('PostgreSQL', await isPostgresReachable());
const schema = uniqueSchema('partitioned_node');
const clock = createFixedClock(Math.floor(Date.now() / 1000));
const STATEMENT_TIMEOUT_MS = 1500;

describe.skipIf(!ok)('two nodes on PostgreSQL, one partitioned mid-transaction', () => {
  let partition: PostgresLink;
  let a: Runtime;
  let b: Runtime;
  let client: TestClient;
  let verifier: TestClient;

  beforeAll(async () => {
    partition = await startPostgresLink(new URL(POSTGRES_URL));
    const overrides = { 'database.statementTimeout': `${STATEMENT_TIMEOUT_MS}ms` };
    a = await startPostgresNode({ schema, nodeId: 'node-a', clock, url: partition.url, overrides });
    b = await startPostgresNode({ schema, nodeId: 'node-b', clock, overrides });
    await a.app.ready();
    await b.app.ready();
    client = await createTestClient({ store: b.store, clock });
    verifier = await createTestClient(
      { store: b.store, clock },
      { grantTypes: [], permissions: ['introspect'] },
    );
  });

  afterAll(async () => {
    await partition?.close();
    await a?.close().catch(() => {});
    await b?.close();
    await dropSchema(schema);
  });

  it('issue 20 — node A cut off inside a revocation: node B records and enforces its own revocation within the timeout instead of answering 503', async () => {
    // Node A is inside a revocation's transaction (it holds the revocation lock) when its network goes.
    let holding: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      holding = resolve;
    });
    const stuck = a.store
      .transaction(async (tx) => {
        await tx.addRevocation({ type: 'jti', value: 'on-node-a' }, clock.now(), clock.now() + 600);
        partition.stop();
        holding();
      })
      .catch((error: unknown) => error);
    await held;

    const issued = await b.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: client.basic },
      payload: form({ grant_type: 'client_credentials' }),
    });
    const token = issued.json<{ access_token: string }>().access_token;
    const started = Date.now();
    const revoked = await b.app.inject({
      method: 'POST',
      url: '/revoke',
      headers: { ...FORM, authorization: client.basic },
      payload: form({ token }),
    });
    const ms = Date.now() - started;
    console.log(`[figures] node B's revocation answered ${revoked.statusCode} after ${ms} ms`);
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(ms).toBeLessThanOrEqual(STATEMENT_TIMEOUT_MS + 1000);

    const introspected = await b.app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { ...FORM, authorization: verifier.basic },
      payload: form({ token }),
    });
    expect(introspected.json()).toEqual({ active: false });
    // Node A's revocation was never acknowledged: its transaction failed.
    expect(await stuck).toBeInstanceOf(Error);
  }, 20_000);
});
