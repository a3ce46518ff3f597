/**
 * A session's token-use state lives in the store (docs/risk.md, "Tessera scores each session's
 * usage stream"; issue "Risk engine", item 4: every node scores alike): two server nodes on one
 * database score a session on the uses both received. Interleaved use (network A on node 1, B on
 * node 2, A again on node 1) is concurrent use although each node saw only part of it; a node
 * started after another stopped keeps the session's baseline; batches of one session taken by two
 * nodes at once both count; a store that fails answers 503 and the same batch sent again is counted
 * once. On PostgreSQL (one schema) and on SQLite (one file, two runtimes); PostgreSQL is declared
 * only where it is reachable, so nothing is skipped.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createFixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { createRuntime } from '../../src/main.js';
import { StoreUnavailableError } from '../../src/store/unavailable.js';
import { TEST_ADMIN_TOKEN, TEST_ISSUER, TEST_MASTER_KEY, type TestServer } from '../support/bootstrap.js';
import { createTestClient } from '../support/clients.js';
import { Device } from '../support/device.js';
import {
  authorizeUrl,
  createCodeClient,
  createUser,
  pkcePair,
  redeemCode,
  signIn,
} from '../support/login.js';
import { dropSchema, uniqueSchema } from '../support/postgres-nodes.js';
import { isPostgresReachable, POSTGRES_URL, requireService } from '../support/requirements.js';

const pgOk = requireService('PostgreSQL', await isPostgresReachable());
const API = 'https://cookies.example';
const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const adminHeaders = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

const schemas: string[] = [];
const databases = [
  {
    name: 'PostgreSQL',
    available: pgOk,
    settings: (): Record<string, unknown> => {
      const schema = uniqueSchema('usage');
      schemas.push(schema);
      return { 'database.url': POSTGRES_URL, 'database.schema': schema };
    },
  },
  {
    name: 'SQLite file',
    available: true,
    settings: (): Record<string, unknown> => ({
      'database.url': join(mkdtempSync(join(tmpdir(), 'tessera-usage-')), 'tessera.db'),
    }),
  },
];

const started: TestServer[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(started.splice(0).map((node) => node.close()));
});
afterAll(async () => {
  for (const schema of schemas) {
    await dropSchema(schema);
  }
});

async function startNode(
  settings: Record<string, unknown>,
  nodeId: string,
  clock: ReturnType<typeof createFixedClock>,
): Promise<TestServer> {
  const config = loadConfig({
    env: {},
    overrides: {
      dev: true,
      issuer: TEST_ISSUER,
      masterKey: TEST_MASTER_KEY,
      adminToken: TEST_ADMIN_TOKEN,
      'log.level': 'silent',
      'risk.enabled': true,
      ...settings,
    },
  });
  const runtime = await createRuntime(config, { clock, nodeId, logger: createLogger({ level: 'silent' }) });
  await runtime.app.ready();
  const node = { ...runtime, clock, adminToken: TEST_ADMIN_TOKEN, adminHeaders };
  started.push(node);
  return node;
}

/** A signed-in person's access token (with `sid` and `tctx`) for API, and the API's reporting client. */
async function sessionAndReporter(node: TestServer) {
  await createUser(node);
  const app = await createCodeClient(node, { scope: ['read'], audiences: [API] });
  const pkce = pkcePair();
  const url = authorizeUrl(app.client, {
    scope: 'read',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  });
  const { code } = await signIn(new Device(node, { ip: '203.0.113.5', userAgent: CHROME }), url);
  const response = await redeemCode(node, app, { code, verifier: pkce.verifier }, { 'user-agent': CHROME });
  expect(response.statusCode, response.body).toBe(200);
  const token = response.json<{ access_token: string }>().access_token;
  const reporter = await createTestClient(node, { audiences: [API], permissions: ['revocations:stream'] });
  return { token, sid: decodeJwt(token).sid as string, reporter: reporter.basic };
}

describe.each(databases.filter((db) => db.available))('session usage state shared by nodes ($name)', (db) => {
  let base = Date.now();

  function batch(sid: string, token: string, networks: string[], endpoint = 'GET /cookies') {
    const uses = networks.map((network) => {
      base += 1000;
      return { sid, jti: 'jti_1', at: base, network, endpoint };
    });
    return { uses, proofs: { [sid]: token } };
  }

  function post(node: TestServer, reporter: string, body: unknown) {
    return node.app.inject({
      method: 'POST',
      url: '/risk/reports',
      headers: { authorization: reporter, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  }

  async function accepted(node: TestServer, reporter: string, body: unknown): Promise<number> {
    const response = await post(node, reporter, body);
    expect(response.statusCode, response.body).toBe(202);
    return response.json<{ accepted: number }>().accepted;
  }

  async function usesStored(node: TestServer, sid: string): Promise<number | undefined> {
    const [record] = await node.store.findSessionUsage([sid]);
    return record === undefined ? undefined : (JSON.parse(record.state) as { uses: number }).uses;
  }

  async function auditOf(node: TestServer, type: string, sid: string) {
    await node.audit.flush();
    return (await node.store.listAudit({ type, limit: 50 })).items.filter((event) => event.subject === sid);
  }

  it('interleaved use, A on node 1, B on node 2, A on node 1, is concurrent use: the session ends', async () => {
    const settings = db.settings();
    const clock = createFixedClock(Math.floor(Date.now() / 1000));
    const one = await startNode(settings, 'node-1', clock);
    const two = await startNode(settings, 'node-2', clock);
    const { token, sid, reporter } = await sessionAndReporter(one);

    expect(await accepted(one, reporter, batch(sid, token, ['net-a']))).toBe(1);
    expect(await accepted(two, reporter, batch(sid, token, ['net-b']))).toBe(1);
    // Node 2 knew net-a from node 1's batch: a move, flagged, not a first use.
    expect((await auditOf(two, 'risk.session_usage_flagged', sid)).map((e) => e.data.factors)).toEqual([
      ['usage_network'],
    ]);
    expect(await one.store.findSession(sid)).toBeDefined();
    expect(await accepted(one, reporter, batch(sid, token, ['net-a']))).toBe(1);
    const ended = await auditOf(one, 'risk.session_usage_ended', sid);
    expect(ended.map((e) => e.data.factors)).toEqual([['usage_concurrent']]);
    expect(await two.store.findSession(sid)).toBeUndefined();
  });

  it('a node started after the other stopped keeps the session’s baseline', async () => {
    const settings = db.settings();
    const clock = createFixedClock(Math.floor(Date.now() / 1000));
    const first = await startNode(settings, 'node-1', clock);
    const { token, sid, reporter } = await sessionAndReporter(first);
    expect(await accepted(first, reporter, batch(sid, token, ['net-a', 'net-a']))).toBe(2);
    await first.close();
    started.splice(started.indexOf(first), 1);

    const restarted = await startNode(settings, 'node-1-again', clock);
    expect(await usesStored(restarted, sid)).toBe(2);
    expect(await accepted(restarted, reporter, batch(sid, token, ['net-b', 'net-a']))).toBe(2);
    expect((await auditOf(restarted, 'risk.session_usage_ended', sid)).map((e) => e.data.factors)).toEqual([
      ['usage_concurrent'],
    ]);
  });

  it('six batches of one session sent to two nodes at once: every use counts', async () => {
    const settings = db.settings();
    const clock = createFixedClock(Math.floor(Date.now() / 1000));
    const one = await startNode(settings, 'node-1', clock);
    const two = await startNode(settings, 'node-2', clock);
    const { token, sid, reporter } = await sessionAndReporter(one);
    const write = vi.spyOn(one.store, 'writeSessionUsage');
    const batches = Array.from({ length: 6 }, () => batch(sid, token, ['net-a', 'net-a', 'net-a']));
    const answers = await Promise.all(
      batches.map((body, i) => accepted(i % 2 === 0 ? one : two, reporter, body)),
    );
    expect(answers).toEqual([3, 3, 3, 3, 3, 3]);
    expect(await usesStored(two, sid)).toBe(18);
    expect(write).toHaveBeenCalled();
  });

  it('six batches of one session at once on one node: scored one after the other, no write lost to itself', async () => {
    const settings = db.settings();
    const clock = createFixedClock(Math.floor(Date.now() / 1000));
    const node = await startNode(settings, 'node-1', clock);
    const { token, sid, reporter } = await sessionAndReporter(node);
    const write = vi.spyOn(node.store, 'writeSessionUsage');
    const batches = Array.from({ length: 6 }, () => batch(sid, token, ['net-a', 'net-a']));
    const answers = await Promise.all(batches.map((body) => accepted(node, reporter, body)));
    expect(answers).toEqual([2, 2, 2, 2, 2, 2]);
    expect(await usesStored(node, sid)).toBe(12);
    // Each group wrote once, on the record the one before it left: none lost a race to this node.
    const results = await Promise.all(write.mock.results.map((result) => result.value as Promise<boolean>));
    expect(results).toEqual([true, true, true, true, true, true]);
  });

  it('a write race lost to another node: the record is read again and the batch scored on it, so both count', async () => {
    const settings = db.settings();
    const clock = createFixedClock(Math.floor(Date.now() / 1000));
    const one = await startNode(settings, 'node-1', clock);
    const two = await startNode(settings, 'node-2', clock);
    const { token, sid, reporter } = await sessionAndReporter(one);
    expect(await accepted(one, reporter, batch(sid, token, ['net-a']))).toBe(1);
    const write = one.store.writeSessionUsage.bind(one.store);
    const reads = vi.spyOn(one.store, 'findSessionUsage');
    // Node 1 has read the record and scored its batch; node 2 writes net-b before node 1 writes.
    vi.spyOn(one.store, 'writeSessionUsage').mockImplementationOnce(async (record, version) => {
      expect(await accepted(two, reporter, batch(sid, token, ['net-b']))).toBe(1);
      return write(record, version);
    });
    expect(await accepted(one, reporter, batch(sid, token, ['net-a']))).toBe(1);
    // One read for the batch, one after the lost race.
    expect(reads).toHaveBeenCalledTimes(2);
    expect(await usesStored(two, sid)).toBe(3);
    // Scored again on node 2's net-b, node 1's net-a is interleaved use.
    expect((await auditOf(one, 'risk.session_usage_ended', sid)).map((e) => e.data.factors)).toEqual([
      ['usage_concurrent'],
    ]);
  });

  it('a store that fails answers 503 (retry): nothing is lost, and the same batch sent again is counted once', async () => {
    const settings = db.settings();
    const clock = createFixedClock(Math.floor(Date.now() / 1000));
    const node = await startNode(settings, 'node-1', clock);
    const { token, sid, reporter } = await sessionAndReporter(node);
    const body = batch(sid, token, ['net-a', 'net-a', 'net-a']);
    // Any store error, not only one classified as an outage (a full disk, say).
    vi.spyOn(node.store, 'writeSessionUsage').mockRejectedValueOnce(
      new Error('SQLITE_FULL: database or disk is full'),
    );
    const failed = await post(node, reporter, body);
    expect(failed.statusCode).toBe(503);
    expect(failed.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(failed.headers['retry-after']).toBeDefined();
    expect(await usesStored(node, sid)).toBeUndefined();

    expect(await accepted(node, reporter, body)).toBe(3);
    expect(await usesStored(node, sid)).toBe(3);
    // Sent once more (the answer was lost on the way back): recognised, not counted again.
    expect(await accepted(node, reporter, body)).toBe(3);
    expect(await usesStored(node, sid)).toBe(3);
  });

  it('a session ended while its decision was being taken: the batch sent again ends it', async () => {
    const settings = db.settings();
    const clock = createFixedClock(Math.floor(Date.now() / 1000));
    const node = await startNode(settings, 'node-1', clock);
    const { token, sid, reporter } = await sessionAndReporter(node);
    const body = batch(sid, token, ['net-a', 'net-b', 'net-a']);
    // The state is written, then ending the session fails (its store write).
    vi.spyOn(node.store, 'deleteSessions').mockRejectedValueOnce(new StoreUnavailableError('down'));
    expect((await post(node, reporter, body)).statusCode).toBe(503);
    expect(await usesStored(node, sid)).toBe(3);
    expect(await node.store.findSession(sid)).toBeDefined();

    expect(await accepted(node, reporter, body)).toBe(3);
    expect(await node.store.findSession(sid)).toBeUndefined();
    expect(await usesStored(node, sid)).toBe(3);
  });
});
