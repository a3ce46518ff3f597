import { describe, expect, it } from 'vitest';
import { ConflictError } from '../ports.js';
import { type MakeStore, newCode, seedOwners, T0, uid, useStore } from './fixtures.js';

export function describeAuthorizationCodeStore(makeStore: MakeStore): void {
  describe('AuthorizationCodeStore', () => {
    const store = useStore(makeStore);

    it('consumes a code once and returns it with every field round-tripped', async () => {
      const { client, user } = await seedOwners(store());
      const code = newCode(client.id, user.id, { acr: 'urn:tessera:mfa', amr: ['pwd', 'otp'] });
      await store().insertAuthorizationCode(code);
      expect(await store().consumeAuthorizationCode(code.hash, T0 + 3)).toEqual({
        status: 'consumed',
        record: { ...code, consumedAt: T0 + 3 },
      });
    });

    it('round-trips a code without PKCE, nonce or session', async () => {
      const { client, user } = await seedOwners(store());
      const code = newCode(client.id, user.id, {
        codeChallenge: null,
        codeChallengeMethod: null,
        nonce: null,
        sessionId: null,
      });
      await store().insertAuthorizationCode(code);
      const result = await store().consumeAuthorizationCode(code.hash, T0);
      expect(result).toEqual({ status: 'consumed', record: { ...code, consumedAt: T0 } });
    });

    it('reports a second redemption as replayed, keeping the first consumedAt (RFC 6749 §4.1.2)', async () => {
      const { client, user } = await seedOwners(store());
      const code = newCode(client.id, user.id);
      await store().insertAuthorizationCode(code);
      await store().consumeAuthorizationCode(code.hash, T0 + 1);
      expect(await store().consumeAuthorizationCode(code.hash, T0 + 2)).toEqual({
        status: 'replayed',
        record: { ...code, consumedAt: T0 + 1 },
      });
    });

    it('reports an unknown code as not_found', async () => {
      expect(await store().consumeAuthorizationCode(uid('hash'), T0)).toEqual({ status: 'not_found' });
    });

    it('rejects a second code with the same hash', async () => {
      const { client, user } = await seedOwners(store());
      const code = newCode(client.id, user.id);
      await store().insertAuthorizationCode(code);
      await expect(store().insertAuthorizationCode(code)).rejects.toBeInstanceOf(ConflictError);
    });

    it('lets exactly one of 20 concurrent redemptions win; the rest see a replay (RFC 9700 §4.5)', async () => {
      const { client, user } = await seedOwners(store());
      const code = newCode(client.id, user.id);
      await store().insertAuthorizationCode(code);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store().consumeAuthorizationCode(code.hash, T0 + 1)),
      );
      expect(results.filter((result) => result.status === 'consumed')).toHaveLength(1);
      expect(results.filter((result) => result.status === 'replayed')).toHaveLength(19);
    });

    it('purges codes that have expired', async () => {
      const { client, user } = await seedOwners(store());
      const expired = newCode(client.id, user.id, { expiresAt: T0 });
      const live = newCode(client.id, user.id, { expiresAt: T0 + 1 });
      await store().insertAuthorizationCode(expired);
      await store().insertAuthorizationCode(live);
      expect(await store().purgeExpiredAuthorizationCodes(T0)).toBeGreaterThanOrEqual(1);
      expect(await store().consumeAuthorizationCode(expired.hash, T0)).toEqual({ status: 'not_found' });
      expect((await store().consumeAuthorizationCode(live.hash, T0)).status).toBe('consumed');
    });
  });
}
