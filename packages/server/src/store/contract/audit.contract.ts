import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../ports.js';
import { collectPages, type MakeStore, T0, uid, useStore } from './fixtures.js';

function event(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    type: 'client.created',
    actor: 'admin',
    subject: uid('cli'),
    data: { name: 'Example', scopes: ['a', 'b'], nested: { ok: true } },
    at: T0,
    requestId: uid('req'),
    ...overrides,
  };
}

export function describeAuditStore(makeStore: MakeStore): void {
  describe('AuditStore', () => {
    const store = useStore(makeStore);

    it('lists appended events newest first with data round-tripped', async () => {
      const subject = uid('cli');
      const first = event({ subject });
      const second = event({ subject, type: 'client.updated', at: T0 + 1, requestId: null, data: {} });
      await store().appendAudit(first);
      await store().appendAudit(second);
      const page = await store().listAudit({ subject });
      expect(page.items.map(({ id: _id, ...rest }) => rest)).toEqual([second, first]);
      expect(page.next).toBeUndefined();
      const [newer, older] = page.items;
      expect((newer?.id ?? 0) > (older?.id ?? 0)).toBe(true);
    });

    it('appends a batch in one call, in order, and an empty batch as nothing', async () => {
      const subject = uid('ses');
      const batch = [0, 1, 2, 3, 4].map((i) => event({ subject, type: 'login.succeeded', data: { i } }));
      await store().appendAudits(batch);
      await store().appendAudits([]);
      const page = await store().listAudit({ subject });
      expect(page.items.map(({ id: _id, ...rest }) => rest)).toEqual([...batch].reverse());
    });

    it('filters by type and subject', async () => {
      const subject = uid('usr');
      const type = `user.${uid('probe')}`;
      await store().appendAudit(event({ subject, type }));
      await store().appendAudit(event({ subject, type: 'user.updated' }));
      await store().appendAudit(event({ type }));
      expect((await store().listAudit({ type })).items).toHaveLength(2);
      expect((await store().listAudit({ subject })).items).toHaveLength(2);
      expect((await store().listAudit({ subject, type })).items).toHaveLength(1);
    });

    it('filters by actor, exactly, alone and with the other filters', async () => {
      const actor = uid('adt');
      const subject = uid('cli');
      await store().appendAudit(event({ actor, subject, type: 'client.created' }));
      await store().appendAudit(event({ actor, type: 'client.updated', at: T0 + 5 }));
      await store().appendAudit(event({ actor: `${actor}x`, subject }));
      await store().appendAudit(event({ actor: actor.toUpperCase(), subject }));
      const mine = await store().listAudit({ actor });
      expect(mine.items.map((item) => [item.actor, item.type])).toEqual([
        [actor, 'client.updated'],
        [actor, 'client.created'],
      ]);
      expect((await store().listAudit({ actor, subject })).items.map((item) => item.type)).toEqual([
        'client.created',
      ]);
      expect((await store().listAudit({ actor, type: 'client.updated' })).items).toHaveLength(1);
      expect((await store().listAudit({ actor, since: T0 + 1 })).items.map((item) => item.at)).toEqual([
        T0 + 5,
      ]);
      expect((await store().listAudit({ actor: uid('nobody') })).items).toEqual([]);
    });

    it('filters by time: since and until bound `at`, both inclusive', async () => {
      const subject = uid('usr');
      for (let i = 0; i < 4; i++) {
        await store().appendAudit(event({ subject, at: T0 + i * 10 }));
      }
      const ats = async (filter: { since?: number; until?: number }) =>
        (await store().listAudit({ subject, ...filter })).items.map((item) => item.at);
      expect(await ats({ since: T0 + 10 })).toEqual([T0 + 30, T0 + 20, T0 + 10]);
      expect(await ats({ until: T0 + 10 })).toEqual([T0 + 10, T0]);
      expect(await ats({ since: T0 + 10, until: T0 + 20 })).toEqual([T0 + 20, T0 + 10]);
      expect(await ats({ since: T0 + 31 })).toEqual([]);
    });

    it('pages through events with a cursor, each exactly once', async () => {
      const subject = uid('key');
      for (let i = 0; i < 5; i++) {
        await store().appendAudit(event({ subject, at: T0 + i, actor: 'system' }));
      }
      const { items, pages } = await collectPages(2, (options) => store().listAudit({ subject, ...options }));
      expect(items.map((item) => item.at)).toEqual([T0 + 4, T0 + 3, T0 + 2, T0 + 1, T0]);
      expect(pages).toBe(3);
    });
  });
}
