import { describe, expect, it } from 'vitest';
import { type MakeStore, newUser, T0, useStore } from './fixtures.js';

export function describeStoreAggregate(makeStore: MakeStore): void {
  describe('Store', () => {
    const store = useStore(makeStore);

    it('answers a ping', async () => {
      await expect(store().ping()).resolves.toBeUndefined();
    });

    it('commits a transaction and returns its result', async () => {
      const user = newUser();
      const result = await store().transaction(async (tx) => {
        await tx.createUser(user, T0);
        return tx.findUser(user.id);
      });
      expect(result?.id).toBe(user.id);
      expect(await store().findUser(user.id)).toBeDefined();
    });

    it('rolls a transaction back when it throws', async () => {
      const user = newUser();
      await expect(
        store().transaction(async (tx) => {
          await tx.createUser(user, T0);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store().findUser(user.id)).toBeUndefined();
    });

    it('joins a nested transaction to the outer one', async () => {
      const inner = newUser();
      await expect(
        store().transaction(async (tx) => {
          await tx.transaction((nested) => nested.createUser(inner, T0));
          throw new Error('outer fails');
        }),
      ).rejects.toThrow('outer fails');
      expect(await store().findUser(inner.id)).toBeUndefined();
    });

    it('runs atomic verbs inside a transaction without deadlocking', async () => {
      const user = newUser();
      const marked = await store().transaction(async (tx) => {
        await tx.createUser(user, T0);
        await tx.addRevocation({ type: 'subject', value: user.id }, T0, T0 + 60);
        return tx.markOnce(`k-${user.id}`, T0 + 60, T0);
      });
      expect(marked).toBe(true);
    });

    it('commits concurrent transactions independently', async () => {
      const users = Array.from({ length: 10 }, () => newUser());
      await Promise.all(users.map((user) => store().transaction((tx) => tx.createUser(user, T0))));
      const found = await Promise.all(users.map((user) => store().findUser(user.id)));
      expect(found.every((user) => user !== undefined)).toBe(true);
    });

    it('reports its dialect', () => {
      expect(['sqlite', 'postgres']).toContain(store().dialect);
    });
  });
}
