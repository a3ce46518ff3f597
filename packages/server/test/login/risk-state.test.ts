/**
 * The risk engine's state in the store (issue "Risk engine", item 4): two server nodes on one
 * database score a person alike: the history learned on node A is read by node B before it scores
 * the next sign-in; erasing it (admin API, or deleting the person) reaches every node; the account
 * export carries it in readable form; the global tables are summed in the store; a store outage
 * while scoring does not fail the sign-in (fail-open, logged).
 * On SQLite (one file, two runtimes) and on PostgreSQL (one schema, two nodes); the PostgreSQL
 * nodes are declared only where PostgreSQL is reachable, so nothing is skipped.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildCli } from '../../src/cli/main.js';
import { createFixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load.js';
import { requiredAdminScope } from '../../src/http/plugins/admin-auth.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import {
  bootstrap,
  TEST_ADMIN_TOKEN,
  TEST_ISSUER,
  TEST_MASTER_KEY,
  type TestServer,
} from '../support/bootstrap.js';
import { Device } from '../support/device.js';
import { authorizeUrl, createCodeClient, createUser, pkcePair, signIn } from '../support/login.js';
import { dropSchema, uniqueSchema } from '../support/postgres-nodes.js';
import { isPostgresReachable, POSTGRES_URL, requireService } from '../support/requirements.js';

const pgOk = requireService('PostgreSQL', await isPostgresReachable());
const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0';
const HOME = { ip: '203.0.113.5', userAgent: CHROME };
const ELSEWHERE = { ip: '198.51.100.7', userAgent: FIREFOX };
const adminHeaders = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

const schemas: string[] = [];
const databases = [
  {
    name: 'SQLite file',
    available: true,
    settings: (): Record<string, unknown> => ({
      'database.url': join(mkdtempSync(join(tmpdir(), 'tessera-risk-')), 'tessera.db'),
    }),
  },
  {
    name: 'PostgreSQL',
    available: pgOk,
    settings: (): Record<string, unknown> => {
      const schema = uniqueSchema('risk');
      schemas.push(schema);
      return { 'database.url': POSTGRES_URL, 'database.schema': schema };
    },
  },
];

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
      'risk.stepUpScore': 0,
      ...settings,
    },
  });
  const runtime: Runtime = await createRuntime(config, {
    clock,
    nodeId,
    logger: createLogger({ level: 'silent' }),
  });
  await runtime.app.ready();
  return { ...runtime, clock, adminToken: TEST_ADMIN_TOKEN, adminHeaders };
}

async function signInOn(
  node: TestServer,
  where: typeof HOME,
  as: { username?: string; password?: string } = {},
) {
  const { client } = await createCodeClient(node);
  const pkce = pkcePair();
  const url = authorizeUrl(client, {
    scope: 'read',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  });
  return signIn(new Device(node, where), url, as);
}

const admin = (node: TestServer, method: 'GET' | 'DELETE', url: string) =>
  node.app.inject({ method, url: `/admin${url}`, headers: adminHeaders });

/** Runs `tessera --config FILE ...args` on a config naming the nodes' database; returns stdout. */
async function tessera(settings: Record<string, unknown>, ...args: string[]): Promise<string> {
  const nested: Record<string, Record<string, unknown>> = {};
  for (const [path, value] of Object.entries(settings)) {
    const [section, key] = path.split('.');
    if (section !== undefined && key !== undefined) {
      nested[section] = { ...(nested[section] ?? {}), [key]: value };
    }
  }
  const file = join(mkdtempSync(join(tmpdir(), 'tessera-risk-cli-')), 'tessera.config.json');
  writeFileSync(file, JSON.stringify({ ...nested, dev: true }));
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await buildCli().parseAsync(['node', 'tessera', '--config', file, ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

for (const database of databases) {
  if (!database.available) {
    continue;
  }
  describe(`risk engine state on two nodes, one database (${database.name})`, () => {
    it('a history learned on node A is what node B scores with; erased on A, B scores the person as new; the export carries it; deleting the person deletes it', async () => {
      const clock = createFixedClock(1_800_000_000);
      const settings = database.settings();
      const a = await startNode(settings, 'node-a', clock);
      const b = await startNode(settings, 'node-b', clock);
      try {
        const alice = await createUser(a);
        // Four sign-ins from home, all on node A.
        for (let i = 0; i < 4; i++) {
          clock.advance(3600);
          expect((await signInOn(a, HOME)).code).toBeTruthy();
        }
        // Node B never saw alice: it reads her history and knows home from elsewhere.
        clock.advance(3600);
        await expect(signInOn(b, ELSEWHERE)).rejects.toThrow(
          /unexpected 403: .*Sign-in needs a second step/s,
        );
        clock.advance(3600);
        expect((await signInOn(b, HOME)).code).toBeTruthy();

        // GET on either node: the readable history (hashes, no raw address).
        const read = await admin(b, 'GET', `/users/${alice.id}/risk-profile`);
        expect(read.statusCode, read.body).toBe(200);
        expect(read.json().profile.signIns).toBe(5);
        expect(read.body).not.toContain(HOME.ip);
        const exported = await admin(a, 'GET', `/users/${alice.id}/export`);
        expect(exported.json().risk_history.signIns).toBe(5);

        // The global tables: each node adds its delta; the store holds the sum.
        await a.riskState?.sync();
        await b.riskState?.sync();
        expect((await a.store.listRiskGlobals())['c:signIns']).toBe(5);

        // Erased through node A: node B had her history in memory and drops it at the next read.
        const erased = await admin(a, 'DELETE', `/users/${alice.id}/risk-profile`);
        expect(erased.statusCode, erased.body).toBe(204);
        expect((await admin(b, 'DELETE', `/users/${alice.id}/risk-profile`)).statusCode).toBe(404);
        await a.audit.flush();
        const audit = await a.store.listAudit({ type: 'risk.profile_erased', limit: 10 });
        expect(audit.items.map((event) => event.subject)).toEqual([alice.id]);
        expect((await admin(b, 'GET', `/users/${alice.id}/risk-profile`)).statusCode).toBe(404);
        clock.advance(3600);
        expect((await signInOn(b, ELSEWHERE)).code, 'scored as a person without history').toBeTruthy();

        // Deleting the person deletes the history with her.
        expect(await a.store.findRiskProfile(alice.id)).toBeDefined();
        expect((await admin(a, 'DELETE', `/users/${alice.id}`)).statusCode).toBe(204);
        expect(await b.store.findRiskProfile(alice.id)).toBeUndefined();
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}

for (const database of databases) {
  if (!database.available) {
    continue;
  }
  describe(`risk retraining from the audit log (${database.name})`, () => {
    it('learned through sign-ins, the risk tables wiped, `tessera risk retrain` rebuilds the same history: the person is known again', async () => {
      const clock = createFixedClock(1_800_000_000);
      const settings = database.settings();
      const a = await startNode(settings, 'node-a', clock);
      const b = await startNode(settings, 'node-b', clock);
      try {
        const alice = await createUser(a);
        for (let i = 0; i < 4; i++) {
          clock.advance(3600);
          expect((await signInOn(i % 2 === 0 ? a : b, HOME)).code).toBeTruthy();
        }
        await a.audit.flush();
        await b.audit.flush();
        const learned = await a.store.listAudit({ type: 'risk.learned', limit: 10 });
        expect(learned.items).toHaveLength(4);
        expect(learned.items[0]?.data).toMatchObject({ ip: HOME.ip, userAgent: HOME.userAgent });
        const original = (await a.store.findRiskProfile(alice.id))?.data;
        expect(original).toBeDefined();

        // Everything learned is in the store (no delta left to flush after the wipe).
        await a.riskState?.sync();
        await b.riskState?.sync();
        // The risk tables lost (a restore without them, a mistaken delete): alice has no history.
        await a.store.replaceRiskState([], {}, clock.now());
        expect((await admin(b, 'GET', `/users/${alice.id}/risk-profile`)).statusCode).toBe(404);

        const dry = JSON.parse(await tessera(settings, 'risk', 'retrain', '--dry-run', '--json'));
        expect(dry).toMatchObject({ dry_run: true, events: 4, skipped: 0, people: 1, written: 0 });
        expect(dry.sums).toBeGreaterThan(5);
        expect(await a.store.findRiskProfile(alice.id)).toBeUndefined();

        const out = await tessera(settings, 'risk', 'retrain');
        expect(out).toMatch(/Replayed 4 learned sign-in\(s\) from .*: 1 history\(ies\)/);
        expect(out).toMatch(/1 history\(ies\) written/);
        // The same history as learned online, and the global sums back in the store.
        expect((await a.store.findRiskProfile(alice.id))?.data).toBe(original);
        expect((await a.store.listRiskGlobals())['c:signIns']).toBe(4);
        clock.advance(3600);
        await expect(signInOn(b, ELSEWHERE)).rejects.toThrow(
          /unexpected 403: .*Sign-in needs a second step/s,
        );
        clock.advance(3600);
        expect((await signInOn(a, HOME)).code).toBeTruthy();
      } finally {
        await a.close();
        await b.close();
      }
    });
  });

  describe(`risk velocity on two nodes, one database (${database.name})`, () => {
    it('failed sign-ins spread over both nodes add up to the stuffing signal on either', async () => {
      const clock = createFixedClock(1_800_000_000);
      const settings = { ...database.settings(), 'login.freeAttempts': 100 };
      const a = await startNode(settings, 'node-a', clock);
      const b = await startNode(settings, 'node-b', clock);
      try {
        await createUser(a);
        const stuffer = { ip: '192.0.2.66', userAgent: CHROME };
        // Twenty wrong passwords for twenty accounts from one address, half on each node.
        for (let i = 0; i < 20; i++) {
          await expect(
            signInOn(i % 2 === 0 ? a : b, stuffer, { username: `victim${i}`, password: 'wrong' }),
          ).rejects.toThrow(/unexpected 400/);
        }
        // Each node adds its counts to the store and reloads the other's (every risk.syncInterval).
        for (const node of [a, b, a]) {
          await node.riskState?.sync();
        }
        // alice then signs in from that address on each node: either scores all twenty failures
        // (one node's ten alone give about 2.2; all twenty about 3.2).
        for (const node of [a, b]) {
          await signInOn(node, stuffer).catch(() => undefined);
        }
        await a.audit.flush();
        await b.audit.flush();
        const decisions = await a.store.listAudit({ type: 'risk.decision', limit: 10 });
        const velocity = decisions.items.map(
          (event) =>
            (event.data.factors as { name: string; value: number }[]).find((f) => f.name === 'velocity')
              ?.value,
        );
        expect(velocity).toHaveLength(2);
        for (const value of velocity) {
          expect(value).toBeGreaterThan(2.8);
        }
        // The store holds counts by hashed address, never the address.
        const keys = Object.keys(await a.store.listRiskGlobals()).filter((key) => key.startsWith('h1:v:ip'));
        expect(keys.length).toBeGreaterThan(0);
        expect(keys.join(' ')).not.toContain(stuffer.ip);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}

describe('risk engine state: outages and scopes', () => {
  it('a store that fails while scoring and learning does not fail the sign-in (scored with what is in memory, logged)', async () => {
    const server = await bootstrap({ 'risk.enabled': true, 'risk.stepUpScore': 1 });
    try {
      await createUser(server);
      server.clock.advance(3600);
      expect((await signInOn(server, HOME)).code).toBeTruthy();
      const down = new Error('connection refused');
      const find = vi.spyOn(server.store, 'findRiskProfile').mockRejectedValue(down);
      for (let i = 0; i < 3; i++) {
        server.clock.advance(3600);
        expect((await signInOn(server, HOME)).code).toBeTruthy();
      }
      expect(find).toHaveBeenCalled();
      // Learned in memory meanwhile: elsewhere is still told apart from home.
      server.clock.advance(3600);
      await expect(signInOn(server, ELSEWHERE)).rejects.toThrow(
        /unexpected 403: .*Sign-in needs a second step/s,
      );
      // A change to the person (here: disabled and enabled again) drops the copy in memory: with the
      // store still down, she is now scored as a person without history.
      const alice = await server.store.findUserByUsername('alice');
      for (const action of ['disable', 'enable']) {
        const changed = await server.app.inject({
          method: 'POST',
          url: `/admin/users/${alice?.id}/${action}`,
          headers: adminHeaders,
        });
        expect(changed.statusCode, changed.body).toBeLessThan(300);
      }
      server.clock.advance(3600);
      expect((await signInOn(server, ELSEWHERE)).code).toBeTruthy();
      find.mockRestore();
      // A write that fails: the sign-in goes on all the same.
      const write = vi.spyOn(server.store, 'writeRiskProfile').mockRejectedValue(down);
      server.clock.advance(3600);
      expect((await signInOn(server, HOME)).code).toBeTruthy();
      expect(write).toHaveBeenCalled();
      write.mockRestore();
      // A global flush that fails keeps its delta for the next one.
      vi.spyOn(server.store, 'addRiskGlobals').mockRejectedValueOnce(down);
      await server.riskState?.sync();
      await server.riskState?.sync();
      expect((await server.store.listRiskGlobals())['c:signIns']).toBe(6);
    } finally {
      vi.restoreAllMocks();
      await server.close();
    }
  });

  it('the admin API: reading a history needs risk:read, erasing it risk:write; an unknown person is 404', async () => {
    expect(requiredAdminScope('GET', '/admin/users/usr_1/risk-profile')).toBe('risk:read');
    expect(requiredAdminScope('DELETE', '/admin/users/usr_1/risk-profile')).toBe('risk:write');
    expect(requiredAdminScope('DELETE', '/admin/users/usr_1')).toBe('users:write');
    const server = await bootstrap({ 'risk.enabled': true });
    try {
      expect((await admin(server, 'GET', '/users/usr_nobody/risk-profile')).statusCode).toBe(404);
      expect((await admin(server, 'DELETE', '/users/usr_nobody/risk-profile')).statusCode).toBe(404);
    } finally {
      await server.close();
    }
  });
});
