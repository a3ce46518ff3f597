import { describe, expect, it } from 'vitest';
import { type MakeStore, newClient, newUser, seedOwners, T0, uid, useStore } from './fixtures.js';

export function describeConsentStore(makeStore: MakeStore): void {
  describe('ConsentStore', () => {
    const store = useStore(makeStore);

    it('returns undefined when the user never consented', async () => {
      expect(await store().findConsent(uid('usr'), uid('cli'))).toBeUndefined();
    });

    it('merges newly granted scopes into the earlier consent', async () => {
      const { client, user } = await seedOwners(store());
      expect(await store().grantConsent(user.id, client.id, ['openid', 'profile'], T0)).toEqual({
        userId: user.id,
        clientId: client.id,
        scope: ['openid', 'profile'],
        grantedAt: T0,
      });
      const merged = await store().grantConsent(user.id, client.id, ['profile', 'email'], T0 + 5);
      expect(merged).toEqual({
        userId: user.id,
        clientId: client.id,
        scope: ['openid', 'profile', 'email'],
        grantedAt: T0 + 5,
      });
      expect(await store().findConsent(user.id, client.id)).toEqual(merged);
    });

    it("lists a user's consents by client id, and nobody else's", async () => {
      const { client, user } = await seedOwners(store());
      const other = await store().createClient(newClient(), T0);
      const stranger = await store().createUser(newUser(), T0);
      expect(await store().listConsents(user.id)).toEqual([]);
      await store().grantConsent(user.id, client.id, ['openid'], T0);
      await store().grantConsent(user.id, other.id, ['openid', 'read'], T0 + 1);
      await store().grantConsent(stranger.id, client.id, ['openid'], T0);
      const listed = await store().listConsents(user.id);
      expect(listed).toEqual(
        [
          { userId: user.id, clientId: client.id, scope: ['openid'], grantedAt: T0 },
          { userId: user.id, clientId: other.id, scope: ['openid', 'read'], grantedAt: T0 + 1 },
        ].sort((a, b) => (a.clientId < b.clientId ? -1 : 1)),
      );
    });

    it('keeps every scope when grants race', async () => {
      const { client, user } = await seedOwners(store());
      const scopes = Array.from({ length: 8 }, (_, i) => `scope:${i}`);
      await Promise.all(scopes.map((scope) => store().grantConsent(user.id, client.id, [scope], T0)));
      expect((await store().findConsent(user.id, client.id))?.scope.sort()).toEqual([...scopes].sort());
    });

    it('revokes consent for one client or for all of a user', async () => {
      const { client, user } = await seedOwners(store());
      const other = await store().createClient(newClient(), T0);
      await store().grantConsent(user.id, client.id, ['openid'], T0);
      await store().grantConsent(user.id, other.id, ['openid'], T0);
      await store().revokeConsent({ userId: user.id, clientId: client.id });
      expect(await store().findConsent(user.id, client.id)).toBeUndefined();
      expect(await store().findConsent(user.id, other.id)).toBeDefined();
      await store().revokeConsent({ userId: user.id });
      expect(await store().findConsent(user.id, other.id)).toBeUndefined();
    });
  });
}
