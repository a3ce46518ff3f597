import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../ports.js';
import { collectPages, type MakeStore, newApiKey, T0, uid, useStore } from './fixtures.js';

export function describeApiKeyStore(makeStore: MakeStore): void {
  describe('ApiKeyStore', () => {
    const store = useStore(makeStore);

    it('finds a key by hash and by id with meta, rate limit and DPoP binding round-tripped', async () => {
      const key = newApiKey(uid('cli'), {
        expiresAt: T0 + 3600,
        dpopJkt: 'sCMDEq8qH-0M4T2e3oNDcmvwBFWB5UR3FZBpzYHqYVk',
      });
      await store().insertApiKey(key);
      expect(await store().findApiKeyByHash(key.hash)).toEqual(key);
      expect(await store().findApiKey(key.id)).toEqual(key);
      const bare = newApiKey(uid('usr'), { rateLimit: null, meta: {} });
      await store().insertApiKey(bare);
      expect(await store().findApiKey(bare.id)).toEqual(bare);
    });

    it('returns undefined for an unknown hash or id', async () => {
      expect(await store().findApiKeyByHash(uid('hash'))).toBeUndefined();
      expect(await store().findApiKey(uid('key'))).toBeUndefined();
    });

    it('rejects a key whose hash is taken', async () => {
      const key = newApiKey(uid('cli'));
      await store().insertApiKey(key);
      await expect(store().insertApiKey({ ...key, id: uid('key') })).rejects.toBeInstanceOf(ConflictError);
    });

    it("pages through one owner's keys in creation order", async () => {
      const owner = uid('cli');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const key = newApiKey(owner, { createdAt: T0 + i });
        ids.push(key.id);
        await store().insertApiKey(key);
      }
      await store().insertApiKey(newApiKey(uid('cli')));
      const { items, pages } = await collectPages(2, (options) => store().listApiKeys({ owner, ...options }));
      expect(items.map((key) => key.id)).toEqual(ids);
      expect(pages).toBe(3);
    });

    it('counts keys', async () => {
      const before = await store().countApiKeys();
      await store().insertApiKey(newApiKey(uid('cli')));
      expect(await store().countApiKeys()).toBe(before + 1);
    });

    it('updates only the patched fields and bumps updatedAt', async () => {
      const key = newApiKey(uid('cli'));
      await store().insertApiKey(key);
      const updated = await store().updateApiKey(
        key.id,
        { name: 'renamed', meta: { x: [1] }, rateLimit: null, expiresAt: T0 + 99, disabled: true },
        T0 + 7,
      );
      expect(updated).toEqual({
        ...key,
        name: 'renamed',
        meta: { x: [1] },
        rateLimit: null,
        expiresAt: T0 + 99,
        disabled: true,
        updatedAt: T0 + 7,
      });
      expect(await store().findApiKey(key.id)).toEqual(updated);
    });

    it('throws NotFoundError when updating, revoking or rotating an unknown key', async () => {
      await expect(store().updateApiKey(uid('key'), { name: 'x' }, T0)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store().revokeApiKey(uid('key'), T0)).rejects.toBeInstanceOf(NotFoundError);
      const next = newApiKey(uid('cli'));
      await expect(store().rotateApiKey(uid('key'), next, T0)).rejects.toBeInstanceOf(NotFoundError);
      expect(await store().findApiKey(next.id)).toBeUndefined();
    });

    it('revokes a key, keeping the first revocation time', async () => {
      const key = newApiKey(uid('cli'));
      await store().insertApiKey(key);
      expect(await store().revokeApiKey(key.id, T0 + 3)).toMatchObject({
        revokedAt: T0 + 3,
        updatedAt: T0 + 3,
      });
      expect((await store().revokeApiKey(key.id, T0 + 8)).revokedAt).toBe(T0 + 3);
    });

    it('rotates a key: inserts the next one and gives the old one an expiry and replacedBy', async () => {
      const old = newApiKey(uid('cli'));
      await store().insertApiKey(old);
      const next = newApiKey(old.owner, { createdAt: T0 + 10, updatedAt: T0 + 10 });
      const rotated = await store().rotateApiKey(old.id, next, T0 + 3600);
      expect(rotated).toEqual({ ...old, expiresAt: T0 + 3600, replacedBy: next.id, updatedAt: T0 + 10 });
      expect(await store().findApiKey(old.id)).toEqual(rotated);
      expect(await store().findApiKeyByHash(next.hash)).toEqual(next);
    });

    it('keeps an earlier expiry of the old key when rotating', async () => {
      const old = newApiKey(uid('cli'), { expiresAt: T0 + 60 });
      await store().insertApiKey(old);
      const rotated = await store().rotateApiKey(old.id, newApiKey(old.owner), T0 + 3600);
      expect(rotated.expiresAt).toBe(T0 + 60);
    });

    it('rolls the rotation back when the next key cannot be inserted', async () => {
      const old = newApiKey(uid('cli'));
      const taken = newApiKey(uid('cli'));
      await store().insertApiKey(old);
      await store().insertApiKey(taken);
      await expect(
        store().rotateApiKey(old.id, { ...newApiKey(old.owner), hash: taken.hash }, T0 + 60),
      ).rejects.toThrow();
      expect(await store().findApiKey(old.id)).toEqual(old);
    });

    it('adds batched usage counts and keeps the latest lastUsedAt', async () => {
      const a = newApiKey(uid('cli'));
      const b = newApiKey(uid('cli'));
      await store().insertApiKey(a);
      await store().insertApiKey(b);
      await store().touchApiKeys([
        { id: a.id, lastUsedAt: T0 + 10, count: 3 },
        { id: b.id, lastUsedAt: T0 + 5, count: 1 },
        { id: uid('key'), lastUsedAt: T0, count: 1 },
      ]);
      await store().touchApiKeys([{ id: a.id, lastUsedAt: T0 + 2, count: 4 }]);
      await store().touchApiKeys([]);
      expect(await store().findApiKey(a.id)).toMatchObject({ usageCount: 7, lastUsedAt: T0 + 10 });
      expect(await store().findApiKey(b.id)).toMatchObject({ usageCount: 1, lastUsedAt: T0 + 5 });
    });

    it('stores the anomaly policy, a usage profile and recorded anomalies (bounded, newest kept)', async () => {
      const key = newApiKey(uid('cli'), { anomalyPolicy: 'disable' });
      await store().insertApiKey(key);
      expect(await store().findApiKey(key.id)).toEqual(key);
      const anomaly = (i: number) => ({
        at: T0 + i,
        kind: 'new_asn' as const,
        value: String(64_500 + i),
        action: 'alerted' as const,
      });
      await store().touchApiKeys([
        { id: key.id, lastUsedAt: T0 + 3, count: 2, profile: '{"v":1}' },
        { id: uid('key'), lastUsedAt: 0, count: 0, anomalies: [anomaly(0)] },
      ]);
      await store().touchApiKeys([
        {
          id: key.id,
          lastUsedAt: 0,
          count: 0,
          anomalies: Array.from({ length: 25 }, (_, i) => anomaly(i)),
        },
      ]);
      await store().touchApiKeys([
        { id: key.id, lastUsedAt: 0, count: 0, anomalies: [{ ...anomaly(1), kind: 'rate', baseline: 2.5 }] },
      ]);
      const stored = await store().findApiKey(key.id);
      expect(stored).toMatchObject({ usageCount: 2, lastUsedAt: T0 + 3, usageProfile: '{"v":1}' });
      expect(stored?.anomalies).toHaveLength(20);
      expect(stored?.anomalies[0]?.value).toBe('64506');
      expect(stored?.anomalies[19]).toEqual({ ...anomaly(1), kind: 'rate', baseline: 2.5 });
      // The newest anomaly time, not the last one written.
      expect(stored?.lastAnomalyAt).toBe(T0 + 24);
      const patched = await store().updateApiKey(key.id, { anomalyPolicy: 'deny' }, T0 + 30);
      expect(patched).toMatchObject({ anomalyPolicy: 'deny', usageProfile: '{"v":1}', updatedAt: T0 + 30 });
    });

    it('lists only keys with open alerts when asked: an anomaly after the acknowledgement', async () => {
      const owner = uid('cli');
      const quiet = newApiKey(owner, { createdAt: T0 });
      const alerted = newApiKey(owner, { createdAt: T0 + 1 });
      const acknowledged = newApiKey(owner, { createdAt: T0 + 2 });
      for (const key of [quiet, alerted, acknowledged]) {
        await store().insertApiKey(key);
      }
      const anomaly = { at: T0 + 10, kind: 'new_country' as const, value: 'BR', action: 'alerted' as const };
      await store().touchApiKeys([
        { id: alerted.id, lastUsedAt: 0, count: 0, anomalies: [anomaly] },
        { id: acknowledged.id, lastUsedAt: 0, count: 0, anomalies: [anomaly] },
      ]);
      await store().updateApiKey(acknowledged.id, { anomaliesAcknowledgedAt: T0 + 10 }, T0 + 11);
      const open = await store().listApiKeys({ owner, anomalous: true, limit: 10 });
      expect(open.items.map((key) => key.id)).toEqual([alerted.id]);
      const all = await store().listApiKeys({ owner, limit: 10 });
      expect(all.items).toHaveLength(3);
      // A new anomaly after the acknowledgement opens it again.
      await store().touchApiKeys([
        { id: acknowledged.id, lastUsedAt: 0, count: 0, anomalies: [{ ...anomaly, at: T0 + 12 }] },
      ]);
      const again = await store().listApiKeys({ owner, anomalous: true, limit: 10 });
      expect(again.items.map((key) => key.id)).toEqual([alerted.id, acknowledged.id]);
    });

    it('writes a batch larger than one statement takes: every key, its profile kept when none is given', async () => {
      const keys = Array.from({ length: 601 }, () => newApiKey(uid('cli')));
      for (const key of keys) {
        await store().insertApiKey(key);
      }
      const first = keys[0];
      if (first === undefined) {
        throw new Error('no key');
      }
      await store().touchApiKeys([{ id: first.id, lastUsedAt: T0 + 1, count: 1, profile: '{"kept":1}' }]);
      await store().touchApiKeys(
        keys.map((key, i) => ({
          id: key.id,
          lastUsedAt: T0 + i,
          count: i + 1,
          ...(i % 2 === 1 ? { profile: `{"n":${i}}` } : {}),
        })),
      );
      for (const [i, key] of keys.entries()) {
        expect(await store().findApiKey(key.id)).toMatchObject({
          usageCount: i === 0 ? 2 : i + 1,
          lastUsedAt: i === 0 ? T0 + 1 : T0 + i,
          usageProfile: i === 0 ? '{"kept":1}' : i % 2 === 1 ? `{"n":${i}}` : null,
        });
      }
    });

    it('loses no usage when batches are written concurrently', async () => {
      const key = newApiKey(uid('cli'));
      await store().insertApiKey(key);
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store().touchApiKeys([{ id: key.id, lastUsedAt: T0 + i, count: 2 }]),
        ),
      );
      expect(await store().findApiKey(key.id)).toMatchObject({ usageCount: 20, lastUsedAt: T0 + 9 });
    });
  });
}
