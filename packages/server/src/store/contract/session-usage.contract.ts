import { describe, expect, it } from 'vitest';
import type { SessionUsageRecord } from '../ports.js';
import { type ContractOptions, type MakeStore, newSession, newUser, T0, uid, useStore } from './fixtures.js';

function record(sid: string, state: string, expiresAt = T0 + 3600): Omit<SessionUsageRecord, 'version'> {
  return { sid, state, applied: '[]', expiresAt, updatedAt: T0 };
}

export function describeSessionUsageStore(makeStore: MakeStore, options: ContractOptions = {}): void {
  describe('SessionUsageStore (0032)', () => {
    const store = useStore(makeStore);

    it('a record is written once per version: a writer holding an old version loses and re-reads', async () => {
      const sid = uid('ses');
      expect(await store().findSessionUsage([sid])).toEqual([]);
      expect(await store().writeSessionUsage(record(sid, '{"n":1}'), 0)).toBe(true);
      // A second "first" write (another node that read no row) loses.
      expect(await store().writeSessionUsage(record(sid, '{"n":"other"}'), 0)).toBe(false);
      expect(await store().findSessionUsage([sid])).toEqual([{ ...record(sid, '{"n":1}'), version: 1 }]);
      expect(
        await store().writeSessionUsage({ ...record(sid, '{"n":2}'), applied: '[["d","flag"]]' }, 1),
      ).toBe(true);
      expect(await store().writeSessionUsage(record(sid, '{"n":"stale"}'), 1)).toBe(false);
      expect(await store().findSessionUsage([sid])).toEqual([
        { ...record(sid, '{"n":2}'), applied: '[["d","flag"]]', version: 2 },
      ]);
    });

    it('one read returns the records of many sessions (more than one statement carries), none for the unknown', async () => {
      const sids = Array.from({ length: 1001 }, () => uid('ses'));
      for (const sid of sids.slice(0, 3)) {
        await store().writeSessionUsage(record(sid, `{"sid":"${sid}"}`), 0);
      }
      await store().writeSessionUsage(record(sids[1000] as string, '{}'), 0);
      const found = await store().findSessionUsage([...sids, sids[0] as string]);
      expect(found.map((r) => r.sid).sort()).toEqual([...sids.slice(0, 3), sids[1000]].sort());
    });

    it('purge: a record whose session is gone, or past its expiry, is deleted, in batches; a live session’s stays', async () => {
      const user = await store().createUser(newUser(), T0);
      const live = newSession(user.id);
      const ended = newSession(user.id);
      await store().createSession(live);
      await store().createSession(ended);
      const never = uid('ses');
      await store().writeSessionUsage(record(live.id, '{}', T0 + 3600), 0);
      await store().writeSessionUsage(record(ended.id, '{}', T0 + 3600), 0);
      await store().writeSessionUsage(record(never, '{}', T0 + 3600), 0);
      await store().deleteSessions({ id: ended.id });
      const sids = [live.id, ended.id, never];
      // Batches of one until nothing is left to purge (other suites' rows may go too).
      while ((await store().purgeEndedSessionUsage(T0, 1)) > 0) {
        // next batch
      }
      expect((await store().findSessionUsage(sids)).map((r) => r.sid)).toEqual([live.id]);
      // Past its absolute lifetime the live session's record goes too.
      await store().purgeEndedSessionUsage(T0 + 3600);
      expect(await store().findSessionUsage(sids)).toEqual([]);
    });

    if (options.openSecondInstance !== undefined) {
      const openSecond = options.openSecondInstance;
      it('two instances racing from the same version: exactly one write wins', async () => {
        const other = await openSecond();
        try {
          const sid = uid('ses');
          await store().writeSessionUsage(record(sid, '{"n":0}'), 0);
          const results = await Promise.all([
            store().writeSessionUsage(record(sid, '{"n":"a"}'), 1),
            other.writeSessionUsage(record(sid, '{"n":"b"}'), 1),
            store().writeSessionUsage(record(sid, '{"n":"c"}'), 1),
            other.writeSessionUsage(record(sid, '{"n":"d"}'), 1),
          ]);
          expect(results.filter(Boolean)).toHaveLength(1);
          const [row] = await other.findSessionUsage([sid]);
          expect(row?.version).toBe(2);
          const winner = ['a', 'b', 'c', 'd'][results.indexOf(true)];
          expect(row?.state).toBe(`{"n":"${winner}"}`);
        } finally {
          await other.close();
        }
      });
    }
  });
}
