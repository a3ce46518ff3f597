/**
 * Bounded purges: the maintenance job deletes dead rows in batches of at most
 * `limit`, so a table that grew for months is emptied in many short statements rather than one long
 * lock. Each case seeds three dead rows and one live row: one call deletes exactly `limit`, repeated
 * calls delete every dead row, and the live row survives. The database is shared by every suite, so
 * the counts are about batches and the checks about this test's own rows.
 */
import type { RevocationEvent } from '@tessera/protocol';
import { describe, expect, it } from 'vitest';
import type { Store } from '../ports.js';
import {
  type MakeStore,
  newAccessToken,
  newCode,
  newRefreshToken,
  newSession,
  seedOwners,
  T0,
  uid,
  useStore,
} from './fixtures.js';

const DEAD = T0 - 10;
const BATCH = 2;

interface PurgeCase {
  name: string;
  /** Seeds three dead rows and one live one; returns checks on them. */
  seed(store: Store): Promise<{ deadGone(): Promise<boolean>; liveKept(): Promise<boolean> }>;
  purge(store: Store, limit: number): Promise<number>;
}

async function every<T>(items: T[], test: (item: T) => Promise<boolean>): Promise<boolean> {
  for (const item of items) {
    if (!(await test(item))) {
      return false;
    }
  }
  return true;
}

const cases: PurgeCase[] = [
  {
    name: 'opaque access tokens past expiry',
    async seed(store) {
      const { client } = await seedOwners(store);
      const dead = [1, 2, 3].map(() => newAccessToken(client.id, { expiresAt: DEAD }));
      const live = newAccessToken(client.id, { expiresAt: T0 + 1 });
      for (const token of [...dead, live]) {
        await store.insertAccessToken(token);
      }
      return {
        deadGone: () => every(dead, async (t) => (await store.findAccessToken(t.hash)) === undefined),
        liveKept: async () => (await store.findAccessToken(live.hash)) !== undefined,
      };
    },
    purge: (store, limit) => store.purgeExpiredAccessTokens(T0, limit),
  },
  {
    name: 'revocations past their horizon',
    async seed(store) {
      const dead: RevocationEvent[] = [];
      for (let i = 0; i < 3; i++) {
        dead.push(await store.addRevocation({ type: 'jti', value: uid('jti') }, T0 - 100, DEAD));
      }
      const live = await store.addRevocation({ type: 'jti', value: uid('jti') }, T0 - 100, T0 + 1);
      const present = async (id: number) =>
        (await store.listRevocationsSince(id - 1, 1)).some((event) => event.id === id);
      return {
        deadGone: () => every(dead, async (event) => !(await present(event.id))),
        liveKept: () => present(live.id),
      };
    },
    purge: (store, limit) => store.purgeExpiredRevocations(T0, limit),
  },
  {
    name: 'replay marks (client-assertion jti) past expiry',
    async seed(store) {
      const dead = [uid('jti'), uid('jti'), uid('jti')];
      for (const key of dead) {
        await store.markOnce(key, DEAD, T0 - 20);
      }
      const live = uid('jti');
      await store.markOnce(live, T0 + 100, T0 - 20);
      return {
        // At T0 - 20 a dead mark was still in force: marking again succeeds only if it was deleted.
        deadGone: () => every(dead, (key) => store.markOnce(key, DEAD, T0 - 20)),
        liveKept: async () => !(await store.markOnce(live, T0 + 200, T0)),
      };
    },
    purge: (store, limit) => store.purgeExpiredReplays(T0, limit),
  },
  {
    name: 'sessions past expiry',
    async seed(store) {
      const { user } = await seedOwners(store);
      const dead = [1, 2, 3].map(() => newSession(user.id, { expiresAt: DEAD }));
      const live = newSession(user.id, { expiresAt: T0 + 1 });
      for (const session of [...dead, live]) {
        await store.createSession(session);
      }
      return {
        deadGone: () => every(dead, async (s) => (await store.findSession(s.id)) === undefined),
        liveKept: async () => (await store.findSession(live.id)) !== undefined,
      };
    },
    purge: (store, limit) => store.purgeExpiredSessions(T0, limit),
  },
  {
    name: 'authorization codes past expiry',
    async seed(store) {
      const { client, user } = await seedOwners(store);
      const dead = [1, 2, 3].map(() => newCode(client.id, user.id, { issuedAt: T0 - 100, expiresAt: DEAD }));
      const live = newCode(client.id, user.id, { expiresAt: T0 + 1 });
      for (const code of [...dead, live]) {
        await store.insertAuthorizationCode(code);
      }
      return {
        deadGone: () =>
          every(
            dead,
            async (c) =>
              (await store.consumeAuthorizationCode(c.hash, client.id, T0 - 100)).status === 'not_found',
          ),
        liveKept: async () =>
          (await store.consumeAuthorizationCode(live.hash, client.id, T0)).status === 'consumed',
      };
    },
    purge: (store, limit) => store.purgeExpiredAuthorizationCodes(T0, limit),
  },
  {
    name: 'refresh tokens past their family expiry, or past their own and unused (used ones kept for reuse detection)',
    async seed(store) {
      const { client, user } = await seedOwners(store);
      const dead = [
        newRefreshToken(client.id, user.id, { expiresAt: DEAD }),
        newRefreshToken(client.id, user.id, { familyExpiresAt: DEAD }),
        newRefreshToken(client.id, user.id, { expiresAt: DEAD, familyExpiresAt: DEAD }),
      ];
      const live = newRefreshToken(client.id, user.id, { expiresAt: T0 + 1, familyExpiresAt: T0 + 1 });
      // RFC 9700 §4.14.2: a used token past its own expiry, in a family still alive, is what a reuse
      // is detected by; it must stay until the family expires.
      const used = newRefreshToken(client.id, user.id, {
        expiresAt: DEAD,
        familyExpiresAt: T0 + 1,
        usedAt: T0 - 50,
      });
      for (const token of [...dead, live, used]) {
        await store.insertRefreshToken(token);
      }
      return {
        deadGone: () => every(dead, async (t) => (await store.findRefreshToken(t.hash)) === undefined),
        liveKept: async () =>
          (await store.findRefreshToken(live.hash)) !== undefined &&
          (await store.findRefreshToken(used.hash)) !== undefined,
      };
    },
    purge: (store, limit) => store.purgeExpiredRefreshTokens(T0, limit),
  },
  {
    name: 'rate-limit counters of windows that can no longer matter',
    async seed(store) {
      const old = T0 - 10 * 60;
      const dead = [uid('rl'), uid('rl'), uid('rl')];
      for (const key of dead) {
        await store.consumeRateLimit({ key, limit: 1, window: 60, kind: 'fixed', now: old });
      }
      const live = uid('rl');
      await store.consumeRateLimit({ key: live, limit: 1, window: 3600, kind: 'fixed', now: T0 });
      return {
        // A counter still there refuses the second request of its window; a deleted one allows it.
        deadGone: () =>
          every(
            dead,
            async (key) =>
              (await store.consumeRateLimit({ key, limit: 1, window: 60, kind: 'fixed', now: old })).allowed,
          ),
        liveKept: async () =>
          !(await store.consumeRateLimit({ key: live, limit: 1, window: 3600, kind: 'fixed', now: T0 }))
            .allowed,
      };
    },
    purge: (store, limit) => store.purgeExpiredRateLimits(T0, limit),
  },
  {
    name: 'audit events older than the retention',
    async seed(store) {
      const subject = uid('cli');
      for (let i = 0; i < 3; i++) {
        await store.appendAudit({
          type: 'client.updated',
          actor: 'admin',
          subject,
          data: { i },
          at: T0 - 100,
          requestId: null,
        });
      }
      await store.appendAudit({
        type: 'client.updated',
        actor: 'admin',
        subject,
        data: { live: true },
        at: T0,
        requestId: null,
      });
      const items = async () => (await store.listAudit({ subject })).items;
      return {
        deadGone: async () => (await items()).every((event) => event.at >= T0),
        liveKept: async () => (await items()).some((event) => event.data.live === true),
      };
    },
    purge: (store, limit) => store.purgeAuditBefore(T0, limit),
  },
];

export function describePurgeBatches(makeStore: MakeStore): void {
  describe('bounded purges (maintenance)', () => {
    const store = useStore(makeStore);

    for (const c of cases) {
      it(`issue 11 item 9 — ${c.name}: at most limit rows per call, every dead row in the end, the live row kept`, async () => {
        const checks = await c.seed(store());
        expect(await c.purge(store(), BATCH)).toBe(BATCH);
        let rounds = 0;
        while ((await c.purge(store(), BATCH)) === BATCH && rounds < 100_000) {
          rounds += 1;
        }
        expect(await checks.deadGone()).toBe(true);
        expect(await checks.liveKept()).toBe(true);
      });
    }
  });
}
