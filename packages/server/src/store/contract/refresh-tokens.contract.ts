import { describe, expect, it } from 'vitest';
import type { RefreshTokenRecord, Store } from '../ports.js';
import { type MakeStore, newRefreshToken, seedOwners, T0, uid, useStore } from './fixtures.js';

async function familyOf(store: Store, tokens: RefreshTokenRecord[]): Promise<(number | null | undefined)[]> {
  return Promise.all(tokens.map(async (token) => (await store.findRefreshToken(token.hash))?.revokedAt));
}

export function describeRefreshTokenStore(makeStore: MakeStore): void {
  describe('RefreshTokenStore', () => {
    const store = useStore(makeStore);

    async function seedToken(overrides: Partial<RefreshTokenRecord> = {}) {
      const { client, user } = await seedOwners(store());
      const token = newRefreshToken(client.id, user.id, overrides);
      await store().insertRefreshToken(token);
      const next = (extra: Partial<RefreshTokenRecord> = {}) =>
        newRefreshToken(client.id, user.id, { familyId: token.familyId, issuedAt: T0 + 10, ...extra });
      return { client, user, token, next };
    }

    it('finds a token by hash with every field round-tripped', async () => {
      const { token } = await seedToken({
        sessionId: uid('ses'),
        acr: 'urn:tessera:mfa',
        amr: ['pwd', 'otp'],
        jkt: 'sCMDEq8qH-0M4T2e3oNDcmvwBFWB5UR3FZBpzYHqYVk',
      });
      expect(await store().findRefreshToken(token.hash)).toEqual(token);
      expect(await store().findRefreshToken(uid('hash'))).toBeUndefined();
    });

    it('rotates a current token: marks it used and stores the next one (RFC 9700 §4.14.2)', async () => {
      const { token, next } = await seedToken();
      const successor = next();
      expect(await store().rotateRefreshToken(token.hash, successor, T0 + 10)).toEqual({
        status: 'rotated',
        previous: { ...token, usedAt: T0 + 10 },
      });
      expect(await store().findRefreshToken(token.hash)).toEqual({ ...token, usedAt: T0 + 10 });
      expect(await store().findRefreshToken(successor.hash)).toEqual(successor);
    });

    it('treats a reused token as theft: reports reuse and revokes the whole family (RFC 9700 §4.14.2)', async () => {
      const { token, next } = await seedToken();
      const successor = next();
      await store().rotateRefreshToken(token.hash, successor, T0 + 10);
      const attacker = next();
      const result = await store().rotateRefreshToken(token.hash, attacker, T0 + 20);
      expect(result).toEqual({ status: 'reused', previous: { ...token, usedAt: T0 + 10 } });
      expect(await store().findRefreshToken(attacker.hash)).toBeUndefined();
      expect(await familyOf(store(), [token, successor])).toEqual([T0 + 20, T0 + 20]);
      // The legitimate successor is now revoked too, so it no longer rotates.
      expect(await store().rotateRefreshToken(successor.hash, next(), T0 + 30)).toEqual({
        status: 'not_found',
      });
    });

    it('reports an unknown token as not_found', async () => {
      const { next } = await seedToken();
      expect(await store().rotateRefreshToken(uid('hash'), next(), T0)).toEqual({ status: 'not_found' });
    });

    it('reports an expired, family-expired or revoked token as not_found and stores nothing', async () => {
      const expired = await seedToken({ expiresAt: T0 + 5 });
      const familyExpired = await seedToken({ familyExpiresAt: T0 + 5 });
      const revoked = await seedToken({ revokedAt: T0 });
      for (const { token, next } of [expired, familyExpired, revoked]) {
        const successor = next();
        expect(await store().rotateRefreshToken(token.hash, successor, T0 + 5)).toEqual({
          status: 'not_found',
        });
        expect(await store().findRefreshToken(successor.hash)).toBeUndefined();
        expect((await store().findRefreshToken(token.hash))?.usedAt).toBeNull();
      }
    });

    it('lets one of 10 concurrent rotations win; the others are reuse and the family ends revoked', async () => {
      const { token, next } = await seedToken();
      const successors = Array.from({ length: 10 }, () => next());
      const results = await Promise.all(
        successors.map((successor) => store().rotateRefreshToken(token.hash, successor, T0 + 10)),
      );
      expect(results.filter((result) => result.status === 'rotated')).toHaveLength(1);
      expect(results.filter((result) => result.status === 'reused')).toHaveLength(9);
      const stored = (await Promise.all(successors.map((s) => store().findRefreshToken(s.hash)))).filter(
        (s) => s !== undefined,
      );
      expect(stored).toHaveLength(1);
      expect(await familyOf(store(), [token, ...stored])).toEqual([T0 + 10, T0 + 10]);
    });

    describe('reuse grace (RFC 9700 §4.14.2)', () => {
      const GRACE_UNTIL = T0 + 20;
      const grace = (successor: RefreshTokenRecord) => ({
        until: GRACE_UNTIL,
        sealedSuccessor: `sealed:${successor.hash}`,
      });

      it('RFC 9700 §4.14.2 — the old token again within the grace returns the same unused successor; nothing is written, the family stays live', async () => {
        const { token, next } = await seedToken();
        const successor = next();
        await store().rotateRefreshToken(token.hash, successor, T0 + 10, grace(successor));
        const retry = next();
        const result = await store().rotateRefreshToken(token.hash, retry, T0 + 19, grace(retry));
        expect(result).toEqual({
          status: 'retried',
          previous: { ...token, usedAt: T0 + 10 },
          successor,
          sealedSuccessor: `sealed:${successor.hash}`,
        });
        expect(await store().findRefreshToken(retry.hash)).toBeUndefined();
        expect(await familyOf(store(), [token, successor])).toEqual([null, null]);
        // The successor is still the one live token: it rotates normally.
        expect((await store().rotateRefreshToken(successor.hash, next(), T0 + 21)).status).toBe('rotated');
      });

      it('RFC 9700 §4.14.2 — at or after the end of the grace the old token is reuse again: family revoked', async () => {
        const { token, next } = await seedToken();
        const successor = next();
        await store().rotateRefreshToken(token.hash, successor, T0 + 10, grace(successor));
        const late = await store().rotateRefreshToken(token.hash, next(), GRACE_UNTIL);
        expect(late).toEqual({ status: 'reused', previous: { ...token, usedAt: T0 + 10 } });
        expect(await familyOf(store(), [token, successor])).toEqual([GRACE_UNTIL, GRACE_UNTIL]);
      });

      it('RFC 9700 §4.14.2 — once the successor was used, the old token within the grace is reuse: family revoked', async () => {
        const { token, next } = await seedToken();
        const successor = next();
        await store().rotateRefreshToken(token.hash, successor, T0 + 10, grace(successor));
        const third = next();
        await store().rotateRefreshToken(successor.hash, third, T0 + 11, grace(third));
        expect((await store().rotateRefreshToken(token.hash, next(), T0 + 12)).status).toBe('reused');
        expect(await familyOf(store(), [token, successor, third])).toEqual([T0 + 12, T0 + 12, T0 + 12]);
      });

      it('RFC 9700 §4.14.2 — without a grace on the rotation, the old token again is reuse at once', async () => {
        const { token, next } = await seedToken();
        const successor = next();
        await store().rotateRefreshToken(token.hash, successor, T0 + 10);
        expect((await store().rotateRefreshToken(token.hash, next(), T0 + 11)).status).toBe('reused');
        expect(await familyOf(store(), [token, successor])).toEqual([T0 + 11, T0 + 11]);
      });

      it('RFC 9700 §4.14.2 — two parallel presentations of the old token: one rotates, the other gets the same successor; one successor stored, family live', async () => {
        const { token, next } = await seedToken();
        const successors = [next(), next()];
        const results = await Promise.all(
          successors.map((successor) =>
            store().rotateRefreshToken(token.hash, successor, T0 + 10, grace(successor)),
          ),
        );
        const rotated = results.findIndex((result) => result.status === 'rotated');
        const retried = results.find((result) => result.status === 'retried');
        expect(rotated).not.toBe(-1);
        const winner = successors[rotated];
        expect(retried).toMatchObject({
          status: 'retried',
          successor: winner,
          sealedSuccessor: `sealed:${winner?.hash}`,
        });
        const stored = await Promise.all(successors.map((s) => store().findRefreshToken(s.hash)));
        expect(stored.filter((s) => s !== undefined)).toEqual([winner]);
        expect(await familyOf(store(), [token, winner as RefreshTokenRecord])).toEqual([null, null]);
      });

      it('keeps the sealed successor for the grace only: after the purge, a retry finds nothing to return', async () => {
        const { token, next } = await seedToken();
        const successor = next();
        await store().rotateRefreshToken(token.hash, successor, T0 + 10, grace(successor));
        await store().purgeExpiredRefreshTokens(GRACE_UNTIL);
        // Observed through the port: even a (clock-skewed) retry inside the window is now reuse.
        expect((await store().rotateRefreshToken(token.hash, next(), T0 + 11)).status).toBe('reused');
      });
    });

    it('revokes whole families by family, client, user or session and returns the family ids', async () => {
      const { client, user, token, next } = await seedToken({ sessionId: uid('ses') });
      const rotated = next({ sessionId: token.sessionId });
      await store().rotateRefreshToken(token.hash, rotated, T0 + 1);
      const second = newRefreshToken(client.id, user.id);
      const third = newRefreshToken(client.id, user.id);
      await store().insertRefreshToken(second);
      await store().insertRefreshToken(third);

      expect(await store().revokeRefreshTokens({ sessionId: token.sessionId ?? '' }, T0 + 2)).toEqual([
        token.familyId,
      ]);
      expect(await familyOf(store(), [token, rotated])).toEqual([T0 + 2, T0 + 2]);
      expect(await store().revokeRefreshTokens({ familyId: second.familyId }, T0 + 3)).toEqual([
        second.familyId,
      ]);
      expect(await store().revokeRefreshTokens({ familyId: second.familyId }, T0 + 4)).toEqual([]);
      expect(await store().revokeRefreshTokens({ userId: user.id, clientId: client.id }, T0 + 5)).toEqual([
        third.familyId,
      ]);
      expect(await familyOf(store(), [second, third])).toEqual([T0 + 3, T0 + 5]);
    });

    it('refuses to revoke with an empty filter', async () => {
      await expect(store().revokeRefreshTokens({}, T0)).rejects.toThrow();
    });

    it('purges tokens whose own or family expiry has passed', async () => {
      const { client, user } = await seedOwners(store());
      const expired = newRefreshToken(client.id, user.id, { expiresAt: T0 });
      const familyExpired = newRefreshToken(client.id, user.id, { familyExpiresAt: T0 });
      const live = newRefreshToken(client.id, user.id, { expiresAt: T0 + 1 });
      for (const token of [expired, familyExpired, live]) {
        await store().insertRefreshToken(token);
      }
      expect(await store().purgeExpiredRefreshTokens(T0)).toBeGreaterThanOrEqual(2);
      expect(await store().findRefreshToken(expired.hash)).toBeUndefined();
      expect(await store().findRefreshToken(familyExpired.hash)).toBeUndefined();
      expect(await store().findRefreshToken(live.hash)).toEqual(live);
    });
  });
}
