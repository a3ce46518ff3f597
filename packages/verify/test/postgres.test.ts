/**
 * Two Tessera nodes on one PostgreSQL schema (DESIGN §5, §6): a revocation made on node A reaches a
 * verifier connected to node B's revocation stream (bus → LISTEN/NOTIFY → B's bus → SSE). Fails,
 * never skips, in CI when PostgreSQL is down (TESSERA_REQUIRE_SERVICES=1).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../../server/test/support/bootstrap.js';
import { freePort } from '../../server/test/support/listening.js';
import { isPostgresReachable, POSTGRES_URL, requireService } from '../../server/test/support/requirements.js';
import { createVerifier, type Verifier, VerifyError } from '../src/index.js';
import { API, createApiServerClient, eventually, withAdmin } from './support/tessera.js';

const ok = requireService('PostgreSQL', await isPostgresReachable());
const schema = `t_verify_${randomBytes(6).toString('hex')}`;

async function dropSchema(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

describe.skipIf(!ok)('two server nodes on PostgreSQL', () => {
  let a: TestServer;
  let b: TestServer;
  let issuer: string;
  let verifier: Verifier;

  beforeAll(async () => {
    const port = await freePort();
    // One logical issuer (as behind a load balancer); the verifier reaches it through node B.
    issuer = `http://127.0.0.1:${port}`;
    const overrides = { issuer, 'database.url': POSTGRES_URL, 'database.schema': schema };
    a = await bootstrap(overrides);
    b = await bootstrap(overrides);
    await b.app.listen({ host: '127.0.0.1', port });
  });
  afterAll(async () => {
    await verifier?.close();
    await b?.close();
    await a?.close();
    await dropSchema();
  });

  it('a revocation on node A reaches a verifier streaming from node B', async () => {
    const nodeA = withAdmin(a);
    const app = await nodeA.createClient();
    const api = await createApiServerClient(nodeA);
    verifier = createVerifier({
      issuer,
      audience: API,
      client: { clientId: api.clientId, clientSecret: api.clientSecret },
      now: () => b.clock.now(),
    });
    await verifier.ready();
    const token = await nodeA.token(app, 'cookies:read');
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ clientId: app.clientId });

    const seen = verifier.status().revocations.lastEventId;
    await nodeA.revoke(app, token);
    await eventually(() => verifier.status().revocations.lastEventId !== seen, 'the event through node B');

    const error = await verifier.verify(`Bearer ${token}`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VerifyError);
    expect(error).toMatchObject({ code: 'invalid_token', description: 'The access token has been revoked' });
  });
});
