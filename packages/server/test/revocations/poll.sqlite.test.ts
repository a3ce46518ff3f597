/**
 * The revocation poll with no bus at all (issue 11 item 2, "with SQLite, the poll covers it"): two
 * runtimes on one SQLite file, as two `serve` processes or workers whose IPC bridge lost an event
 * would be. What node A revokes reaches node B through the store alone, within
 * `revocations.pollInterval`: its denylist, its client registry (a `client` revocation evicts the
 * client) and its API-key cache (an `api_key` revocation evicts the key).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { TEST_ADMIN_TOKEN, TEST_ISSUER, TEST_MASTER_KEY } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';

const adminHeaders = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const clock = createFixedClock(Math.floor(Date.now() / 1000));
/** Upper bound of every wait: only a hang (or a node that never polls) reaches it. */
const HANG_MS = 12_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function startNode(file: string): Promise<Runtime> {
  const config = loadConfig({
    env: {},
    overrides: {
      dev: true,
      issuer: TEST_ISSUER,
      'database.url': file,
      masterKey: TEST_MASTER_KEY,
      adminToken: TEST_ADMIN_TOKEN,
      'log.level': 'silent',
      'revocations.pollInterval': '1s',
    },
  });
  return createRuntime(config, { clock, logger: createLogger({ level: 'silent' }) });
}

describe('revocations between two processes on one SQLite file (no bus: the poll alone)', () => {
  let dir: string;
  let a: Runtime;
  let b: Runtime;
  let resourceServer: TestClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-poll-'));
    const file = join(dir, 'tessera.db');
    a = await startNode(file);
    await a.app.ready();
    b = await startNode(file);
    await b.app.ready();
    resourceServer = await createTestClient(
      { store: a.store, clock },
      { grantTypes: [], permissions: ['introspect', 'api_keys:verify'] },
    );
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function issue(node: Runtime, client: TestClient) {
    const response = await node.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: client.basic },
      payload: form({ grant_type: 'client_credentials' }),
    });
    return { status: response.statusCode, token: response.json().access_token as string };
  }

  async function introspect(node: Runtime, token: string): Promise<boolean> {
    const response = await node.app.inject({
      method: 'POST',
      url: '/introspect',
      headers: { ...FORM, authorization: resourceServer.basic },
      payload: form({ token }),
    });
    return response.json().active === true;
  }

  async function verifyKey(node: Runtime, key: string): Promise<string | undefined> {
    const response = await node.app.inject({
      method: 'POST',
      url: '/api-keys/verify',
      headers: { authorization: resourceServer.basic },
      payload: { key },
    });
    const body = response.json() as { valid: boolean; code?: string };
    return body.valid ? 'valid' : body.code;
  }

  async function admin(method: 'POST' | 'PATCH', url: string, payload?: Record<string, unknown>) {
    const response = await a.app.inject({
      method,
      url: `/admin${url}`,
      headers: adminHeaders,
      ...(payload === undefined ? {} : { payload }),
    });
    expect(response.statusCode, response.body).toBeLessThan(300);
    return response.json();
  }

  it('issue 11 item 2 — a token, an API key and a client revoked on A are refused by B within the poll interval', async () => {
    const holder = await createTestClient({ store: a.store, clock });
    const doomed = await createTestClient({ store: a.store, clock });
    const { token } = await issue(a, holder);
    const key = await admin('POST', '/api-keys', { name: 'poll', owner: holder.id, scope: 'read' });

    // Warm B's memory: denylist, client registry, API-key cache.
    expect(await introspect(b, token)).toBe(true);
    expect(await verifyKey(b, key.key)).toBe('valid');
    expect((await issue(b, doomed)).status).toBe(200);

    await admin('POST', '/tokens/revoke', { token });
    await admin('POST', `/api-keys/${key.id}/revoke`);
    await admin('PATCH', `/clients/${doomed.id}`, { disabled: true });
    const changedAt = Date.now();

    const deadline = Date.now() + HANG_MS;
    for (;;) {
      const refused =
        !(await introspect(b, token)) &&
        (await verifyKey(b, key.key)) === 'revoked' &&
        (await issue(b, doomed)).status === 401;
      if (refused) {
        break;
      }
      expect(Date.now(), 'B never refused what A revoked').toBeLessThan(deadline);
      await sleep(20);
    }
    console.log(
      `[figures] SQLite poll only (1s): all refused ${Date.now() - changedAt} ms after the last change on A`,
    );
  }, 30_000);
});
