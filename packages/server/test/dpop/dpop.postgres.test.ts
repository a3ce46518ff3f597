/**
 * DPoP across server nodes (RFC 9449 §11.1, §8): two runtimes on one PostgreSQL schema. A proof
 * accepted by one node is refused by the other (its `jti` is marked in the shared store), and a
 * server nonce handed out by one node is accepted by the other (an HMAC of the time slot under a
 * key both derive from the master key, no shared state). Fails, never skips, in CI when PostgreSQL
 * is down (TESSERA_REQUIRE_SERVICES=1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../src/clock.js';
import type { Runtime } from '../../src/main.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import { type DpopKey, dpopKey, dpopProof } from '../support/dpop.js';
import { dropSchema, startPostgresNode, uniqueSchema } from '../support/postgres-nodes.js';
import { isPostgresReachable, requireService } from '../support/requirements.js';

const ok = requireService('PostgreSQL', await isPostgresReachable());
const schema = uniqueSchema('dpop');
const clock = createFixedClock(1_800_000_000);

describe.skipIf(!ok)('DPoP on PostgreSQL (two nodes, one schema)', () => {
  let a: Runtime;
  let b: Runtime;
  let client: TestClient;
  let key: DpopKey;

  beforeAll(async () => {
    const overrides = { 'dpop.requireNonce': true };
    a = await startPostgresNode({ schema, nodeId: 'node-a', clock, overrides });
    b = await startPostgresNode({ schema, nodeId: 'node-b', clock, overrides });
    await a.app.ready();
    await b.app.ready();
    client = await createTestClient({ store: a.store, clock });
    key = await dpopKey('ES256');
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await dropSchema(schema);
  });

  function token(node: Runtime, dpop: string) {
    return node.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: client.basic, dpop },
      payload: form({ grant_type: 'client_credentials' }),
    });
  }

  it('RFC 9449 §8 — a nonce from node A is accepted by node B; RFC 9449 §11.1 — a proof used on A is refused on B', async () => {
    const first = await token(a, await dpopProof(key, { iat: clock.now() }));
    expect(first.json().error).toBe('use_dpop_nonce');
    const nonce = String(first.headers['dpop-nonce']);

    const proof = await dpopProof(key, { iat: clock.now(), nonce });
    const onB = await token(b, proof);
    expect(onB.statusCode, onB.body).toBe(200);
    expect(onB.json().token_type).toBe('DPoP');

    const replayedOnA = await token(a, proof);
    expect(replayedOnA.statusCode).toBe(400);
    expect(replayedOnA.json()).toMatchObject({ error: 'invalid_dpop_proof' });
    expect(replayedOnA.json().error_description).toMatch(/already used/);
  });

  it('RFC 9449 §11.1 — of one proof sent to both nodes at once, exactly one gets a token', async () => {
    const nonce = String((await token(a, await dpopProof(key, { iat: clock.now() }))).headers['dpop-nonce']);
    const proof = await dpopProof(key, { iat: clock.now(), nonce });
    const answers = await Promise.all([token(a, proof), token(b, proof), token(a, proof), token(b, proof)]);
    expect(answers.filter((answer) => answer.statusCode === 200)).toHaveLength(1);
  });
});
