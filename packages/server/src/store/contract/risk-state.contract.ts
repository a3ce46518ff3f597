import { describe, expect, it } from 'vitest';
import { type ContractOptions, type MakeStore, newUser, T0, uid, useStore } from './fixtures.js';

export function describeRiskStateStore(makeStore: MakeStore, options: ContractOptions = {}): void {
  describe('RiskStateStore (0024)', () => {
    const store = useStore(makeStore);

    it('a history is written once per version: a writer holding an old version loses and re-reads', async () => {
      const user = await store().createUser(newUser(), T0);
      expect(await store().findRiskProfile(user.id)).toBeUndefined();
      expect(await store().writeRiskProfile(user.id, 'AQ-first', 0, T0)).toBe(true);
      // A second "first" write (another node that read no row) loses.
      expect(await store().writeRiskProfile(user.id, 'AQ-other', 0, T0)).toBe(false);
      expect(await store().findRiskProfile(user.id)).toEqual({
        userId: user.id,
        data: 'AQ-first',
        version: 1,
        updatedAt: T0,
      });
      expect(await store().writeRiskProfile(user.id, 'AQ-second', 1, T0 + 1)).toBe(true);
      expect(await store().writeRiskProfile(user.id, 'AQ-stale', 1, T0 + 2)).toBe(false);
      expect(await store().findRiskProfile(user.id)).toMatchObject({ data: 'AQ-second', version: 2 });
    });

    it('erasing a history, and deleting the person, leave no row', async () => {
      const user = await store().createUser(newUser(), T0);
      await store().writeRiskProfile(user.id, 'AQ', 0, T0);
      expect(await store().deleteRiskProfile(user.id)).toBe(true);
      expect(await store().deleteRiskProfile(user.id)).toBe(false);
      expect(await store().findRiskProfile(user.id)).toBeUndefined();
      await store().writeRiskProfile(user.id, 'AQ', 0, T0);
      await store().deleteUser(user.id);
      expect(await store().findRiskProfile(user.id)).toBeUndefined();
    });

    it('global deltas add up per key; a reload can ask for the keys changed since a time', async () => {
      const a = `c:${uid('k')}`;
      const b = `d30:${uid('k')}:AS1@0`;
      await store().addRiskGlobals({ [a]: 1, [b]: 0.25 }, T0);
      await store().addRiskGlobals({ [a]: 2.5 }, T0 + 10);
      const all = await store().listRiskGlobals();
      expect(all[a]).toBe(3.5);
      expect(all[b]).toBe(0.25);
      const recent = await store().listRiskGlobals(T0 + 10);
      expect(recent[a]).toBe(3.5);
      expect(recent[b]).toBeUndefined();
      // More keys than one statement carries.
      const many = Object.fromEntries(Array.from({ length: 1200 }, (_, i) => [`c:${uid('m')}:${i}`, i + 1]));
      await store().addRiskGlobals(many, T0);
      await store().addRiskGlobals(many, T0);
      const summed = await store().listRiskGlobals();
      for (const [key, value] of Object.entries(many)) {
        expect(summed[key]).toBe(2 * value);
      }
    });

    it('velocity sums are purged by key prefix and last update, in batches; other sums stay', async () => {
      const id = uid('v');
      await store().addRiskGlobals({ [`h1:v:ipa:${id}`]: 1, [`h1:v:ipf:${id}`]: 1, [`c:${id}`]: 1 }, T0);
      await store().addRiskGlobals({ [`h1:v:asna:${id}`]: 1 }, T0 + 100);
      expect(await store().purgeRiskGlobalsBefore('h1:', T0 + 1, 1)).toBe(1);
      expect(await store().purgeRiskGlobalsBefore('h1:', T0 + 1)).toBe(1);
      expect(await store().purgeRiskGlobalsBefore('h1:', T0 + 1)).toBe(0);
      const left = await store().listRiskGlobals();
      expect(left[`h1:v:ipa:${id}`]).toBeUndefined();
      expect(left[`h1:v:ipf:${id}`]).toBeUndefined();
      expect(left[`h1:v:asna:${id}`]).toBe(1);
      expect(left[`c:${id}`]).toBe(1);
      await expect(store().purgeRiskGlobalsBefore('h%', T0 + 1)).rejects.toThrow(RangeError);
    });

    it('a retraining replaces every history and every sum; a person deleted since is skipped', async () => {
      const kept = await store().createUser(newUser(), T0);
      const replaced = await store().createUser(newUser(), T0);
      await store().writeRiskProfile(kept.id, 'AQ-old', 0, T0);
      await store().writeRiskProfile(replaced.id, 'AQ-old', 0, T0);
      await store().addRiskGlobals({ [`c:${uid('old')}`]: 5 }, T0);
      const written = await store().replaceRiskState(
        [
          { userId: replaced.id, data: 'AQ-new' },
          { userId: 'usr_deleted_since', data: 'AQ-gone' },
        ],
        { 'c:signIns': 3, 'd30:legit@0': 1.5 },
        T0 + 5,
      );
      expect(written).toBe(1);
      expect(await store().findRiskProfile(kept.id)).toBeUndefined();
      expect(await store().findRiskProfile(replaced.id)).toEqual({
        userId: replaced.id,
        data: 'AQ-new',
        version: 1,
        updatedAt: T0 + 5,
      });
      expect(await store().listRiskGlobals()).toEqual({ 'c:signIns': 3, 'd30:legit@0': 1.5 });
    });

    const openSecondInstance = options.openSecondInstance;
    if (openSecondInstance !== undefined) {
      it('race: two instances adding to the same keys at once lose nothing; one of two writers of a history wins', async () => {
        const other = await openSecondInstance();
        try {
          const keys = Array.from({ length: 20 }, () => `c:${uid('race')}`);
          const delta = Object.fromEntries(keys.map((key) => [key, 1]));
          await Promise.all(
            Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? store() : other).addRiskGlobals(delta, T0)),
          );
          const sums = await other.listRiskGlobals();
          expect(keys.map((key) => sums[key])).toEqual(keys.map(() => 10));
          const user = await store().createUser(newUser(), T0);
          const won = await Promise.all([
            store().writeRiskProfile(user.id, 'AQ-a', 0, T0),
            other.writeRiskProfile(user.id, 'AQ-b', 0, T0),
          ]);
          expect(won.filter(Boolean)).toHaveLength(1);
        } finally {
          await other.close();
        }
      });
    }
  });
}
