import { describe, expect, it } from 'vitest';
import { ConflictError, type LinkedIdentifierRecord } from '../ports.js';
import { type MakeStore, newUser, T0, uid, useStore } from './fixtures.js';

function wallet(userId: string, overrides: Partial<LinkedIdentifierRecord> = {}): LinkedIdentifierRecord {
  return {
    identifier: `did:pkh:eip155:1:0x${uid('w').slice(2, 42).padEnd(40, '0')}`,
    userId,
    method: 'siwe',
    createdAt: T0,
    ...overrides,
  };
}

export function describeLinkedIdentifierStore(makeStore: MakeStore): void {
  describe('LinkedIdentifierStore', () => {
    const store = useStore(makeStore);
    const seedUser = async () => (await store().createUser(newUser(), T0)).id;

    it("keeps a person's identifiers, oldest first, and finds one by the identifier", async () => {
      const userId = await seedUser();
      const first = wallet(userId);
      const second = wallet(userId, { identifier: `did:key:${uid('z')}`, method: 'did', createdAt: T0 + 1 });
      await store().linkIdentifier(second);
      await store().linkIdentifier(first);
      await store().linkIdentifier(wallet(await seedUser()));
      expect(await store().listLinkedIdentifiers(userId)).toEqual([first, second]);
      expect(await store().findLinkedIdentifier(second.identifier)).toEqual(second);
      expect(await store().findLinkedIdentifier('did:key:unknown')).toBeUndefined();
    });

    it('refuses an identifier linked already, to another person or to the same one', async () => {
      const linked = wallet(await seedUser());
      await store().linkIdentifier(linked);
      const other = await seedUser();
      await expect(store().linkIdentifier({ ...linked, userId: other })).rejects.toBeInstanceOf(
        ConflictError,
      );
      await expect(store().linkIdentifier(linked)).rejects.toBeInstanceOf(ConflictError);
      expect(await store().listLinkedIdentifiers(other)).toEqual([]);
      expect(await store().findLinkedIdentifier(linked.identifier)).toEqual(linked);
    });

    it('unlinks only for its owner, and goes with its owner', async () => {
      const userId = await seedUser();
      const linked = wallet(userId);
      await store().linkIdentifier(linked);
      expect(await store().unlinkIdentifier(await seedUser(), linked.identifier)).toBe(false);
      expect(await store().unlinkIdentifier(userId, linked.identifier)).toBe(true);
      expect(await store().unlinkIdentifier(userId, linked.identifier)).toBe(false);
      const kept = wallet(userId);
      await store().linkIdentifier(kept);
      await store().deleteUser(userId);
      expect(await store().findLinkedIdentifier(kept.identifier)).toBeUndefined();
    });
  });
}
