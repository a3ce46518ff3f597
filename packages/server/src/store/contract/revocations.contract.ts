import type { RevocationTarget } from '@tessera/protocol';
import { describe, expect, it } from 'vitest';
import { type MakeStore, T0, uid, useStore } from './fixtures.js';

function target(type: RevocationTarget['type'] = 'jti'): RevocationTarget {
  return { type, value: uid(type) };
}

export function describeRevocationStore(makeStore: MakeStore): void {
  describe('RevocationStore', () => {
    const store = useStore(makeStore);

    it('records a revocation with its target and returns strictly increasing ids', async () => {
      const first = await store().addRevocation(target('family'), T0, T0 + 600);
      const second = await store().addRevocation(target('api_key'), T0 + 1, T0 + 600);
      expect(first.target.type).toBe('family');
      expect(first).toMatchObject({ revokedAt: T0, expiresAt: T0 + 600 });
      expect(second.id).toBeGreaterThan(first.id);
      expect(await store().listRevocationsSince(first.id - 1, 2)).toEqual([first, second]);
    });

    it('lists only revocations still in force (expiresAt > now), oldest first', async () => {
      const expired = await store().addRevocation(target(), T0, T0 + 10);
      const edge = await store().addRevocation(target(), T0, T0 + 100);
      const active = await store().addRevocation(target('subject'), T0, T0 + 101);
      const ids = (await store().listActiveRevocations(T0 + 100)).map((event) => event.id);
      expect(ids).not.toContain(expired.id);
      expect(ids).not.toContain(edge.id);
      expect(ids).toContain(active.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    });

    it('lists revocations after an id, at most `limit`, oldest first (the SSE resume)', async () => {
      const events = [];
      for (let i = 0; i < 4; i++) {
        events.push(await store().addRevocation(target('client'), T0, T0 + 600));
      }
      const [a, b, c, d] = events;
      if (a === undefined || b === undefined || c === undefined || d === undefined) {
        throw new Error('unreachable');
      }
      expect(await store().listRevocationsSince(a.id, 2)).toEqual([b, c]);
      expect((await store().listRevocationsSince(c.id, 10))[0]).toEqual(d);
    });

    it('names the latest revocation id, where a node that missed bus events replays from (issue 11 item 2)', async () => {
      const before = await store().latestRevocationId();
      expect(before).toBeGreaterThanOrEqual(0);
      const first = await store().addRevocation(target('api_key'), T0, T0 + 600);
      expect(await store().latestRevocationId()).toBe(first.id);
      const second = await store().addRevocation(target('client'), T0, T0 + 600);
      expect(await store().latestRevocationId()).toBe(second.id);
      expect(await store().listRevocationsSince(before, 10)).toEqual([first, second]);
    });

    it('purges revocations that have expired and keeps the rest', async () => {
      const old = await store().addRevocation(target(), T0 - 100, T0 - 1);
      const live = await store().addRevocation(target(), T0, T0 + 600);
      expect(await store().purgeExpiredRevocations(T0)).toBeGreaterThanOrEqual(1);
      const ids = (await store().listRevocationsSince(old.id - 1, 1000)).map((event) => event.id);
      expect(ids).not.toContain(old.id);
      expect(ids).toContain(live.id);
    });

    it('gives concurrent revocations distinct ids that become visible in id order', async () => {
      const events = await Promise.all(
        Array.from({ length: 20 }, () => store().addRevocation(target(), T0, T0 + 600)),
      );
      const ids = events.map((event) => event.id);
      expect(new Set(ids).size).toBe(20);
      const min = Math.min(...ids);
      const listed = (await store().listRevocationsSince(min - 1, 1000)).map((event) => event.id);
      expect(listed.filter((id) => ids.includes(id))).toEqual([...ids].sort((a, b) => a - b));
    });
  });
}
