import { describe, expect, it } from 'vitest';
import { type MakeStore, newUser, T0, useStore } from './fixtures.js';

export function describeMigrations(makeStore: MakeStore): void {
  describe('MigrationRunner', () => {
    const store = useStore(makeStore);

    it('applies nothing on a migrated database and keeps its data', async () => {
      const user = await store().createUser(newUser(), T0);
      expect(await store().migrate()).toEqual([]);
      expect(await store().migrate()).toEqual([]);
      expect(await store().findUser(user.id)).toEqual(user);
    });
  });
}
