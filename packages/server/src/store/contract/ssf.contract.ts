import { describe, expect, it } from 'vitest';
import type { QueuedSet } from '../ports.js';
import { type MakeStore, newClient, T0, uid, useStore } from './fixtures.js';

export function describeSsfStore(makeStore: MakeStore): void {
  describe('SsfStore (0029)', () => {
    const store = useStore(makeStore);
    const seedClient = async () => (await store().createClient(newClient(), T0)).id;
    const set = (streamId: string, overrides: Partial<QueuedSet> = {}): QueuedSet => ({
      streamId,
      jti: uid('jti'),
      payload: JSON.stringify({ txn: uid('txn') }),
      createdAt: T0,
      expiresAt: T0 + 600,
      ...overrides,
    });

    it('OpenID SSF 1.0 §8.1.1 — one stream per client, created once: a second or racing call gets the same', async () => {
      const clientId = await seedClient();
      const [a, b] = await Promise.all([
        store().ensureSsfStream(clientId, uid('ssf'), T0),
        store().ensureSsfStream(clientId, uid('ssf'), T0 + 1),
      ]);
      expect(a).toEqual(b);
      expect(a.clientId).toBe(clientId);
      expect(await store().ensureSsfStream(clientId, uid('ssf'), T0 + 2)).toEqual(a);
      expect(await store().listSsfStreamIds()).toContain(a.id);
    });

    it('RFC 8936 §2.3 — pending SETs come oldest first, at most max, with moreAvailable; only an ack removes them', async () => {
      const stream = await store().ensureSsfStream(await seedClient(), uid('ssf'), T0);
      const other = await store().ensureSsfStream(await seedClient(), uid('ssf'), T0);
      const queued = [set(stream.id), set(stream.id), set(stream.id)];
      await store().queueSets([...queued, set(other.id)]);
      const first = await store().pendingSets(stream.id, T0, 2);
      expect(first).toEqual({ sets: queued.slice(0, 2), more: true });
      // Reading removes nothing (RFC 8936 §2.2: a SET is redelivered until acknowledged).
      expect((await store().pendingSets(stream.id, T0, 10)).sets).toEqual(queued);
      // Another stream's jti acknowledges nothing here.
      const [otherSet] = (await store().pendingSets(other.id, T0, 10)).sets;
      expect(await store().removeSets(stream.id, [otherSet?.jti ?? ''])).toBe(0);
      expect(
        await store().removeSets(stream.id, [queued[0]?.jti ?? '', queued[1]?.jti ?? '', 'unknown']),
      ).toBe(2);
      expect(await store().pendingSets(stream.id, T0, 10)).toEqual({ sets: queued.slice(2), more: false });
      expect(await store().removeSets(stream.id, [])).toBe(0);
      expect(await store().pendingSets(stream.id, T0, 0)).toEqual({ sets: [], more: false });
      expect((await store().pendingSets(other.id, T0, 10)).sets).toHaveLength(1);
    });

    it('keeps SETs only until their retention ends, then purges them in batches', async () => {
      const stream = await store().ensureSsfStream(await seedClient(), uid('ssf'), T0);
      const old = [set(stream.id, { expiresAt: T0 + 10 }), set(stream.id, { expiresAt: T0 + 10 })];
      const fresh = set(stream.id, { expiresAt: T0 + 1000 });
      await store().queueSets([...old, fresh]);
      expect((await store().pendingSets(stream.id, T0 + 10, 10)).sets).toEqual([fresh]);
      let purged = 0;
      for (let round = 0; round < 100; round += 1) {
        const n = await store().purgeExpiredSets(T0 + 10, 1);
        expect(n).toBeLessThanOrEqual(1);
        if (n === 0) {
          break;
        }
        purged += n;
      }
      expect(purged).toBeGreaterThanOrEqual(2);
      expect((await store().pendingSets(stream.id, T0, 10)).sets).toEqual([fresh]);
    });

    it('goes with the client: its stream and SETs are deleted, and a SET queued after is dropped', async () => {
      const clientId = await seedClient();
      const stream = await store().ensureSsfStream(clientId, uid('ssf'), T0);
      await store().queueSets([set(stream.id)]);
      await store().deleteClient(clientId);
      expect(await store().listSsfStreamIds()).not.toContain(stream.id);
      await store().queueSets([set(stream.id)]);
      expect((await store().pendingSets(stream.id, T0, 10)).sets).toEqual([]);
    });
  });
}
