import { describe, expect, it } from 'vitest';
import { type MakeStore, newClient, seedOwners, T0, uid, useStore } from './fixtures.js';

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
