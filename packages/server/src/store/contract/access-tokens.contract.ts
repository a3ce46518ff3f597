import { describe, expect, it } from 'vitest';
import { ConflictError } from '../ports.js';
import { type MakeStore, newAccessToken, newClient, T0, uid, useStore } from './fixtures.js';

export function describeAccessTokenStore(makeStore: MakeStore): void {
  describe('AccessTokenStore', () => {
    const store = useStore(makeStore);
    const seedClient = async () => (await store().createClient(newClient(), T0)).id;

    it('finds an opaque token by its hash with claims round-tripped', async () => {
      const token = newAccessToken(await seedClient(), { grantId: uid('fam'), subject: uid('usr') });
      await store().insertAccessToken(token);
      expect(await store().findAccessToken(token.hash)).toEqual(token);
    });

    it('inserts a batch in one statement, all or none (group commit)', async () => {
      const clientId = await seedClient();
      const batch = [newAccessToken(clientId), newAccessToken(clientId, { grantId: uid('fam') })];
      await store().insertAccessTokens(batch);
      for (const token of batch) {
        expect(await store().findAccessToken(token.hash)).toEqual(token);
      }
      const fresh = newAccessToken(clientId);
      await expect(store().insertAccessTokens([fresh, batch[0] ?? fresh])).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect(await store().findAccessToken(fresh.hash)).toBeUndefined();
      await store().insertAccessTokens([]);
    });

    it('returns undefined for an unknown hash', async () => {
      expect(await store().findAccessToken(uid('hash'))).toBeUndefined();
    });

    it('rejects a second token with the same hash', async () => {
      const token = newAccessToken(await seedClient());
      await store().insertAccessToken(token);
      await expect(store().insertAccessToken(token)).rejects.toBeInstanceOf(ConflictError);
    });

    it('revokes a token and returns it as it was (RFC 7009 §2.1); a second revoke keeps the first time', async () => {
      const token = newAccessToken(await seedClient());
      await store().insertAccessToken(token);
      expect(await store().revokeAccessToken(token.hash, T0 + 5)).toEqual(token);
      expect((await store().findAccessToken(token.hash))?.revokedAt).toBe(T0 + 5);
      expect((await store().revokeAccessToken(token.hash, T0 + 9))?.revokedAt).toBe(T0 + 5);
      expect((await store().findAccessToken(token.hash))?.revokedAt).toBe(T0 + 5);
    });

    it('returns undefined when revoking an unknown token', async () => {
      expect(await store().revokeAccessToken(uid('hash'), T0)).toBeUndefined();
    });

    it('revokes by client, subject or grant, counting only tokens not yet revoked', async () => {
      const clientId = await seedClient();
      const other = await seedClient();
      const subject = uid('usr');
      const grantId = uid('fam');
      const a = newAccessToken(clientId, { subject, grantId });
      const b = newAccessToken(clientId, { subject });
      const c = newAccessToken(clientId);
      const d = newAccessToken(other, { subject });
      for (const token of [a, b, c, d]) {
        await store().insertAccessToken(token);
      }
      expect(await store().revokeAccessTokensBy({ grantId }, T0 + 1)).toBe(1);
      expect(await store().revokeAccessTokensBy({ subject, clientId }, T0 + 2)).toBe(1);
      expect(await store().revokeAccessTokensBy({ clientId }, T0 + 3)).toBe(1);
      expect(await store().revokeAccessTokensBy({ subject }, T0 + 4)).toBe(1);
      const revokedAt = await Promise.all(
        [a, b, c, d].map(async (t) => (await store().findAccessToken(t.hash))?.revokedAt),
      );
      expect(revokedAt).toEqual([T0 + 1, T0 + 2, T0 + 3, T0 + 4]);
    });

    it('refuses to revoke with an empty filter', async () => {
      await expect(store().revokeAccessTokensBy({}, T0)).rejects.toThrow();
    });

    it('purges tokens that have expired', async () => {
      const clientId = await seedClient();
      const expired = newAccessToken(clientId, { expiresAt: T0 });
      const live = newAccessToken(clientId, { expiresAt: T0 + 1 });
      await store().insertAccessToken(expired);
      await store().insertAccessToken(live);
      expect(await store().purgeExpiredAccessTokens(T0)).toBeGreaterThanOrEqual(1);
      expect(await store().findAccessToken(expired.hash)).toBeUndefined();
      expect(await store().findAccessToken(live.hash)).toEqual(live);
    });
  });
}
