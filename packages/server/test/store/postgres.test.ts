import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { BusBridge, Topic } from '../../src/events/bus.js';
import { attempt } from '../../src/store/contract/attempts.contract.js';
import { describeStoreContract } from '../../src/store/contract/index.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/ports.js';
import { createNotifyBridge } from '../../src/store/postgres/notify-bridge.js';
import { isPostgresReachable, POSTGRES_URL, requireService } from '../support/requirements.js';
import { waitFor } from '../support/wait-for.js';

const ok = requireService('PostgreSQL', await isPostgresReachable());
const run = randomBytes(6).toString('hex');
const schema = `t_${run}`;
const freshSchema = `t_${run}_fresh`;

async function dropSchemas(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    for (const name of [schema, freshSchema]) {
      await client.query(`drop schema if exists "${name}" cascade`);
    }
  } finally {
    await client.end();
  }
}

interface Received {
  topic: Topic;
  payload: unknown;
}

async function startBridge(nodeId: string): Promise<{ bridge: BusBridge; received: Received[] }> {
  const bridge = createNotifyBridge(POSTGRES_URL, { schema, nodeId });
  const received: Received[] = [];
  await bridge.start((topic, payload) => received.push({ topic, payload }));
  return { bridge, received };
}

describe.skipIf(!ok)('PostgreSQL', () => {
  // One pool for the whole contract run: each test gets a view whose close() leaves it open.
  let shared: Store | undefined;
  afterAll(async () => {
    await shared?.close();
    await dropSchemas();
  });
  describeStoreContract(
    `postgres (schema ${schema})`,
    async () => {
      if (shared === undefined) {
        shared = await openStore(POSTGRES_URL, { schema });
        await shared.migrate();
      }
      return { ...shared, close: async () => {} };
    },
    {
      // A pool of its own on the same schema, as another node has: races then cross two pools.
      openSecondInstance: () => openStore(POSTGRES_URL, { schema }),
    },
  );

  describe('PostgreSQL specifics', () => {
    it('applies the initial migration once in a fresh schema it creates', async () => {
      const store = await openStore(POSTGRES_URL, { schema: freshSchema });
      try {
        expect(await store.migrate()).toEqual([
          '0001-initial',
          '0002-rate-limits',
          '0003-attempts',
          '0004-signing-key-master-key-id',
          '0005-refresh-reuse-grace',
          '0006-admin-tokens',
          '0007-mfa',
          '0008-passkeys',
          '0009-dpop',
          '0010-device-authorizations',
          '0011-client-source',
          '0014-client-id-token-alg',
          '0015-user-admin-scopes',
          '0017-linked-identifiers',
          '0019-client-subject-type',
          '0020-server-secrets',
          '0021-audit-actor-time',
          '0022-stat-counts',
          '0024-risk-state',
          '0025-api-key-anomalies',
          '0027-subject-choices',
          '0029-ssf',
          '0030-refresh-sealed-successor',
          '0032-session-usage',
          '0033-refresh-grace-partial-index',
          '0034-readiness-probe',
        ]);
        expect(await store.migrate()).toEqual([]);
        expect(await store.countClients()).toBe(0);
      } finally {
        await store.close();
      }
    });

    it('login throttle race: two store instances (two pools, as two nodes) share one attempt counter', async () => {
      const first = await openStore(POSTGRES_URL, { schema });
      const second = await openStore(POSTGRES_URL, { schema });
      try {
        await first.migrate();
        const key = `race-${randomBytes(8).toString('hex')}`;
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            (i % 2 === 0 ? first : second).takeAttempt(attempt(key, { freeAttempts: 5 })),
          ),
        );
        expect(results.filter((r) => r.allowed)).toHaveLength(5);
        expect(await second.takeAttempt(attempt(key, { freeAttempts: 5 }))).toMatchObject({ allowed: false });
      } finally {
        await first.close();
        await second.close();
      }
    });

    it('rejects a schema name that is not a plain identifier', async () => {
      await expect(openStore(POSTGRES_URL, { schema: 'x"; drop table users; --' })).rejects.toThrow(
        RangeError,
      );
    });
  });

  describe('LISTEN/NOTIFY bus bridge', () => {
    it('relays an event to the other node and never echoes it to the sender', async () => {
      const a = await startBridge(`a-${run}`);
      const b = await startBridge(`b-${run}`);
      try {
        a.bridge.send('client.updated', { clientId: 'cli_1' });
        const { ms } = await waitFor(() => b.received.length > 0, { what: 'node B receiving the event' });
        expect(b.received).toEqual([{ topic: 'client.updated', payload: { clientId: 'cli_1' } }]);
        console.info(`[figures] LISTEN/NOTIFY bridge: event relayed to the other node in ${ms} ms`);
        // A barrier instead of a sleep: B answers only after it has A's event, and PostgreSQL
        // delivers notifications in commit order, so an echo of A's event would reach A first.
        b.bridge.send('client.updated', { clientId: 'cli_barrier' });
        await waitFor(() => a.received.length > 0, { what: 'node A receiving the barrier event' });
        expect(a.received).toEqual([{ topic: 'client.updated', payload: { clientId: 'cli_barrier' } }]);
      } finally {
        await a.bridge.close();
        await b.bridge.close();
      }
    });

    it('does not cross into another schema’s channel', async () => {
      const a = await startBridge(`a2-${run}`);
      const sameSchema = await startBridge(`s2-${run}`);
      const other = createNotifyBridge(POSTGRES_URL, { schema: freshSchema, nodeId: `o-${run}` });
      const otherSender = createNotifyBridge(POSTGRES_URL, { schema: freshSchema, nodeId: `o2-${run}` });
      const elsewhere: unknown[] = [];
      await other.start((_topic, payload) => elsewhere.push(payload));
      await otherSender.start(() => {});
      try {
        a.bridge.send('user.updated', { userId: 'usr_1' });
        // A barrier instead of a sleep: once a node on A's schema has the event it is committed, and
        // a later event on the other schema's channel reaches `other` after anything sent before it.
        await waitFor(() => sameSchema.received.length > 0, {
          what: 'a node on the same schema receiving it',
        });
        otherSender.send('user.updated', { userId: 'usr_barrier' });
        await waitFor(() => elsewhere.length > 0, { what: 'the other schema’s barrier event' });
        expect(elsewhere).toEqual([{ userId: 'usr_barrier' }]);
      } finally {
        await a.bridge.close();
        await sameSchema.bridge.close();
        await other.close();
        await otherSender.close();
      }
    });

    it('reconnects and keeps listening after its connection is killed, and says so locally first (events.missed, issue 11 item 2)', async () => {
      const a = await startBridge(`a3-${run}`);
      const nodeB = `b3-${run}`;
      const b = await startBridge(nodeB);
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      try {
        const killed = await admin.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
          [`tessera-bus-${nodeB}`],
        );
        expect(killed.rowCount).toBe(1);
        let probes = 0;
        await waitFor(
          () => {
            probes += 1;
            if (probes % 5 === 0) {
              a.bridge.send('signing_key.rotated', { kid: `kid_${probes}` });
            }
            return b.received.some((event) => event.topic === 'signing_key.rotated');
          },
          { what: 'node B hearing events again after its connection was killed', intervalMs: 20 },
        );
        // The reconnect signal comes once, after LISTEN is back and before any event heard again.
        expect(b.received[0]).toMatchObject({ topic: 'events.missed', payload: { cause: 'reconnected' } });
        expect(b.received.filter((event) => event.topic === 'events.missed')).toHaveLength(1);
        expect(b.received[1]?.topic).toBe('signing_key.rotated');
      } finally {
        await admin.end();
        await a.bridge.close();
        await b.bridge.close();
      }
    });
  });
});
