import { describe, expect, it } from 'vitest';
import { ConflictError } from '../ports.js';
import { type MakeStore, newCode, seedOwners, T0, uid, useStore } from './fixtures.js';

export function describeAuthorizationCodeStore(makeStore: MakeStore): void {
  describe('AuthorizationCodeStore', () => {
    const store = useStore(makeStore);

    it('consumes a code once and returns it with every field round-tripped', async () => {
      const { client, user } = await seedOwners(store());
      const code = newCode(client.id, user.id, {
        acr: 'urn:tessera:mfa',
        amr: ['pwd', 'otp'],
        dpopJkt: 'sCMDEq8qH-0M4T2e3oNDcmvwBFWB5UR3FZBpzYHqYVk',
      });
      await store().insertAuthorizationCode(code);
      expect(await store().consumeAuthorizationCode(code.hash, client.id, T0 + 3)).toEqual({
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
      const result = await store().consumeAuthorizationCode(code.hash, client.id, T0);
      expect(result).toEqual({ status: 'consumed', record: { ...code, consumedAt: T0 } });
    });

    it('reports a second redemption as replayed, keeping the first consumedAt (RFC 6749 §4.1.2)', async () => {
      const { client, user } = await seedOwners(store());
      const code = newCode(client.id, user.id);
      await store().insertAuthorizationCode(code);
      await store().consumeAuthorizationCode(code.hash, client.id, T0 + 1);
      expect(await store().consumeAuthorizationCode(code.hash, client.id, T0 + 2)).toEqual({
        status: 'replayed',
        record: { ...code, consumedAt: T0 + 1 },
      });
    });

    it('reports an unknown code as not_found', async () => {
      expect(await store().consumeAuthorizationCode(uid('hash'), uid('cli'), T0)).toEqual({
        status: 'not_found',
      });
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
        Array.from({ length: 20 }, () => store().consumeAuthorizationCode(code.hash, client.id, T0 + 1)),
      );
      expect(results.filter((result) => result.status === 'consumed')).toHaveLength(1);
      expect(results.filter((result) => result.status === 'replayed')).toHaveLength(19);
    });

    it('RFC 6749 §4.1.3 — another client gets wrong_client and the code is untouched: its own client still consumes it once', async () => {
      const { client, user } = await seedOwners(store());
      const code = newCode(client.id, user.id);
      await store().insertAuthorizationCode(code);
      expect(await store().consumeAuthorizationCode(code.hash, uid('cli'), T0 + 1)).toEqual({
        status: 'wrong_client',
      });
      expect(await store().consumeAuthorizationCode(code.hash, client.id, T0 + 2)).toEqual({
        status: 'consumed',
        record: { ...code, consumedAt: T0 + 2 },
      });
      // After consumption another client still learns nothing and changes nothing.
      expect(await store().consumeAuthorizationCode(code.hash, uid('cli'), T0 + 3)).toEqual({
        status: 'wrong_client',
      });
      expect(await store().consumeAuthorizationCode(code.hash, client.id, T0 + 4)).toEqual({
        status: 'replayed',
        record: { ...code, consumedAt: T0 + 2 },
      });
    });

    it('RFC 6749 §4.1.3 — 10 concurrent redemptions by another client and 10 by the owner: one consumed, 9 replayed, 10 wrong_client', async () => {
      const { client, user } = await seedOwners(store());
      const code = newCode(client.id, user.id);
      await store().insertAuthorizationCode(code);
      const stranger = uid('cli');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store().consumeAuthorizationCode(code.hash, i % 2 === 0 ? stranger : client.id, T0 + 1),
        ),
      );
      const statuses = results.map((result) => result.status);
      expect(statuses.filter((status) => status === 'consumed')).toHaveLength(1);
      expect(statuses.filter((status) => status === 'replayed')).toHaveLength(9);
      expect(statuses.filter((status) => status === 'wrong_client')).toHaveLength(10);
    });

    it('purges codes that have expired', async () => {
      const { client, user } = await seedOwners(store());
      const expired = newCode(client.id, user.id, { expiresAt: T0 });
      const live = newCode(client.id, user.id, { expiresAt: T0 + 1 });
      await store().insertAuthorizationCode(expired);
      await store().insertAuthorizationCode(live);
      expect(await store().purgeExpiredAuthorizationCodes(T0)).toBeGreaterThanOrEqual(1);
      expect(await store().consumeAuthorizationCode(expired.hash, client.id, T0)).toEqual({
        status: 'not_found',
      });
      expect((await store().consumeAuthorizationCode(live.hash, client.id, T0)).status).toBe('consumed');
    });
  });
}
