import { describe, expect, it } from 'vitest';
import { ConflictError, type PasskeyRecord } from '../ports.js';
import { type MakeStore, newUser, T0, uid, useStore } from './fixtures.js';

function newPasskey(userId: string, overrides: Partial<PasskeyRecord> = {}): PasskeyRecord {
  return {
    id: uid('pk'),
    userId,
    credentialId: uid('cred'),
    publicKey: 'pQECAyYgASFYIA',
    counter: 0,
    transports: ['internal', 'hybrid'],
    backupEligible: true,
    backedUp: false,
    aaguid: '00000000-0000-0000-0000-000000000000',
    name: 'Laptop',
    createdAt: T0,
    lastUsedAt: null,
    ...overrides,
  };
}

export function describePasskeyStore(makeStore: MakeStore): void {
  describe('PasskeyStore', () => {
    const store = useStore(makeStore);
    const seedUser = async () => (await store().createUser(newUser(), T0)).id;

    it("keeps a person's passkeys, oldest first, and finds one by credential id", async () => {
      const userId = await seedUser();
      const first = newPasskey(userId, { counter: 7, backedUp: true });
      const second = newPasskey(userId, { createdAt: T0 + 1, transports: [], backupEligible: false });
      await store().insertPasskey(second);
      await store().insertPasskey(first);
      await store().insertPasskey(newPasskey(await seedUser()));
      expect(await store().listPasskeys(userId)).toEqual([first, second]);
      expect(await store().findPasskeyByCredentialId(first.credentialId)).toEqual(first);
      expect(await store().findPasskeyByCredentialId(uid('cred'))).toBeUndefined();
    });

    it('refuses a credential id registered twice (WebAuthn L3 §7.1 step 25)', async () => {
      const userId = await seedUser();
      const passkey = newPasskey(userId);
      await store().insertPasskey(passkey);
      await expect(
        store().insertPasskey(newPasskey(await seedUser(), { credentialId: passkey.credentialId })),
      ).rejects.toBeInstanceOf(ConflictError);
    });

    it('records a use only while the counter is the one read (compare-and-set)', async () => {
      const passkey = newPasskey(await seedUser(), { counter: 5 });
      await store().insertPasskey(passkey);
      const use = { expectedCounter: 5, counter: 6, backedUp: true, at: T0 + 9 };
      expect(await store().recordPasskeyUse(passkey.id, use)).toBe(true);
      // A second sign-in that read counter 5 lost the race.
      expect(await store().recordPasskeyUse(passkey.id, { ...use, counter: 7 })).toBe(false);
      const stored = await store().findPasskeyByCredentialId(passkey.credentialId);
      expect(stored).toMatchObject({ counter: 6, backedUp: true, lastUsedAt: T0 + 9 });
    });

    it('deletes a passkey only for its owner, and with its owner', async () => {
      const userId = await seedUser();
      const passkey = newPasskey(userId);
      await store().insertPasskey(passkey);
      expect(await store().deletePasskey(await seedUser(), passkey.id)).toBe(false);
      expect(await store().deletePasskey(userId, passkey.id)).toBe(true);
      expect(await store().deletePasskey(userId, passkey.id)).toBe(false);
      const kept = newPasskey(userId);
      await store().insertPasskey(kept);
      await store().deleteUser(userId);
      expect(await store().findPasskeyByCredentialId(kept.credentialId)).toBeUndefined();
    });
  });
}
