import { describe, expect, it } from 'vitest';
import type { RefreshPresentation, RefreshSuccessor, RefreshTokenRecord, Store } from '../ports.js';
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

    it('stores an optional field a caller left out (plain JavaScript) as null', async () => {
      const { client, user } = await seedOwners(store());
      const { jkt: _jkt, sessionId: _sessionId, acr: _acr, ...token } = newRefreshToken(client.id, user.id);
      await store().insertRefreshToken(token as RefreshTokenRecord);
      expect(await store().findRefreshToken(token.hash)).toMatchObject({
        jkt: null,
        sessionId: null,
        acr: null,
      });
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

    describe('redeemRefreshToken: the rotation with its holder and person checked in it', () => {
      const successor = (extra: Partial<RefreshSuccessor> = {}): RefreshSuccessor => ({
        hash: uid('hash'),
        issuedAt: T0 + 10,
        expiresAt: T0 + 10 + 3_600,
        ...extra,
      });
      const by = (
        token: RefreshTokenRecord,
        extra: Partial<RefreshPresentation> = {},
      ): RefreshPresentation => ({
        hash: token.hash,
        clientId: token.clientId,
        jkt: null,
        ...extra,
      });
      async function untouched(token: RefreshTokenRecord, next: RefreshSuccessor) {
        expect(await store().findRefreshToken(token.hash)).toEqual(token);
        expect(await store().findRefreshToken(next.hash)).toBeUndefined();
      }

      it('RFC 9700 §4.14.2 — rotates a current token: the successor inherits the grant, its expiry capped at the family end; the person comes back', async () => {
        const { user, token } = await seedToken({
          sessionId: uid('ses'),
          acr: 'urn:tessera:mfa',
          familyExpiresAt: T0 + 1_000,
        });
        const next = successor();
        const result = await store().redeemRefreshToken(by(token), next, T0 + 10);
        // chosenSubject: held by its own test below.
        expect({ ...result, chosenSubject: undefined }).toEqual({
          status: 'rotated',
          previous: { ...token, usedAt: T0 + 10 },
          user,
        });
        expect(await store().findRefreshToken(next.hash)).toEqual({
          ...token,
          hash: next.hash,
          issuedAt: T0 + 10,
          expiresAt: T0 + 1_000,
        });
        // Single use: the same token again is reuse, and the family (successor included) is revoked.
        expect((await store().redeemRefreshToken(by(token), successor(), T0 + 11)).status).toBe('reused');
        expect(await familyOf(store(), [token])).toEqual([T0 + 11]);
        expect((await store().findRefreshToken(next.hash))?.revokedAt).toBe(T0 + 11);
      });

      it('RFC 6749 §6 — another client: refused, nothing written; a used token presented by another client revokes nothing', async () => {
        const { token } = await seedToken();
        const { client: other } = await seedOwners(store());
        const next = successor();
        expect(await store().redeemRefreshToken(by(token, { clientId: other.id }), next, T0 + 10)).toEqual({
          status: 'refused',
          previous: token,
          reason: 'client',
        });
        await untouched(token, next);
        await store().redeemRefreshToken(by(token), successor(), T0 + 10);
        expect(
          (await store().redeemRefreshToken(by(token, { clientId: other.id }), successor(), T0 + 11)).status,
        ).toBe('refused');
        expect(await familyOf(store(), [token])).toEqual([null]);
      });

      it('RFC 9449 §5 — a bound token needs a proof with its key: none or another → refused, nothing written; its key → rotated; an unbound token takes any proof', async () => {
        const jkt = 'sCMDEq8qH-0M4T2e3oNDcmvwBFWB5UR3FZBpzYHqYVk';
        const { token } = await seedToken({ jkt });
        for (const presented of [null, 'another-thumbprint']) {
          const next = successor();
          const result = await store().redeemRefreshToken(by(token, { jkt: presented }), next, T0 + 10);
          expect(result).toMatchObject({ status: 'refused', reason: 'dpop' });
          await untouched(token, next);
        }
        const next = successor();
        expect((await store().redeemRefreshToken(by(token, { jkt }), next, T0 + 10)).status).toBe('rotated');
        expect((await store().findRefreshToken(next.hash))?.jkt).toBe(jkt);
        const { token: unbound } = await seedToken();
        expect((await store().redeemRefreshToken(by(unbound, { jkt }), successor(), T0 + 10)).status).toBe(
          'rotated',
        );
      });

      it('a person disabled or re-keyed since the token was issued: refused, nothing written, and a used token revokes nothing', async () => {
        const disabled = await seedToken();
        await store().updateUser(disabled.user.id, { disabled: true }, T0 + 5);
        const rekeyed = await seedToken();
        await store().updateUser(rekeyed.user.id, { tokensValidAfter: T0 + 1 }, T0 + 5);
        for (const { token } of [disabled, rekeyed]) {
          const next = successor();
          expect(await store().redeemRefreshToken(by(token), next, T0 + 10)).toEqual({
            status: 'refused',
            previous: token,
            reason: 'user',
          });
          await untouched(token, next);
        }
        // Used before the person was disabled: presented again, still refused, the family kept.
        const used = await seedToken();
        await store().redeemRefreshToken(by(used.token), successor(), T0 + 10);
        await store().updateUser(used.user.id, { disabled: true }, T0 + 11);
        expect((await store().redeemRefreshToken(by(used.token), successor(), T0 + 12)).status).toBe(
          'refused',
        );
        expect(await familyOf(store(), [used.token])).toEqual([null]);
        // Enabled again, the token that was refused still rotates: it was never spent.
        await store().updateUser(disabled.user.id, { disabled: false }, T0 + 12);
        expect((await store().redeemRefreshToken(by(disabled.token), successor(), T0 + 13)).status).toBe(
          'rotated',
        );
      });

      it('unknown, expired, family-expired or revoked → not_found, nothing written', async () => {
        const { token: unknown } = await seedToken();
        expect(await store().redeemRefreshToken(by(unknown, { hash: uid('hash') }), successor(), T0)).toEqual(
          {
            status: 'not_found',
          },
        );
        for (const overrides of [{ expiresAt: T0 + 5 }, { familyExpiresAt: T0 + 5 }, { revokedAt: T0 }]) {
          const { token } = await seedToken(overrides);
          const next = successor();
          expect(await store().redeemRefreshToken(by(token), next, T0 + 5)).toEqual({ status: 'not_found' });
          await untouched(token, next);
        }
      });

      it('RFC 9700 §4.14.2 — within the reuse grace the old token gets the same successor and the person back; 10 at once without one: one wins, the family revoked', async () => {
        const { user, token } = await seedToken();
        const first = successor();
        const grace = { until: T0 + 20, sealedSuccessor: `sealed:${first.hash}` };
        await store().redeemRefreshToken(by(token), first, T0 + 10, grace);
        expect(await store().redeemRefreshToken(by(token), successor(), T0 + 15, grace)).toMatchObject({
          status: 'retried',
          successor: { hash: first.hash },
          sealedSuccessor: `sealed:${first.hash}`,
          user,
        });
        const { token: raced } = await seedToken();
        const results = await Promise.all(
          Array.from({ length: 10 }, () => store().redeemRefreshToken(by(raced), successor(), T0 + 10)),
        );
        expect(results.filter((result) => result.status === 'rotated')).toHaveLength(1);
        expect(results.filter((result) => result.status === 'reused')).toHaveLength(9);
        expect(await familyOf(store(), [raced])).toEqual([T0 + 10]);
      });

      it('OIDC Core §8 — a rotation brings the sub the person chose for the token client: exactly that choice (null for none)', async () => {
        const chosen = await seedToken();
        const { client: other } = await seedOwners(store());
        const plain = await seedToken();
        const subject = uid('sub');
        await store().setSubjectChoice({
          userId: chosen.user.id,
          clientId: chosen.client.id,
          subject,
          chosenAt: T0,
        });
        await store().setSubjectChoice({
          userId: chosen.user.id,
          clientId: other.id,
          subject: uid('sub'),
          chosenAt: T0,
        });
        await store().setSubjectChoice({
          userId: plain.user.id,
          clientId: other.id,
          subject: uid('sub'),
          chosenAt: T0,
        });
        const results = [
          await store().redeemRefreshToken(by(chosen.token), successor(), T0 + 10),
          await store().redeemRefreshToken(by(plain.token), successor(), T0 + 10),
          ...(await store().redeemRefreshTokens([
            {
              presented: by(chosen.token, { hash: (await seedToken()).token.hash }),
              successor: successor(),
              now: T0,
            },
          ])),
        ];
        const again = await seedToken({ userId: chosen.user.id, clientId: chosen.client.id });
        const plainAgain = await seedToken({ userId: plain.user.id, clientId: plain.client.id });
        results.push(
          ...(await store().redeemRefreshTokens([
            { presented: by(again.token), successor: successor(), now: T0 + 10 },
            { presented: by(plainAgain.token), successor: successor(), now: T0 + 10 },
          ])),
        );
        const chosenSubjects = results.map((result) =>
          result.status === 'rotated' ? result.chosenSubject : 'not rotated',
        );
        expect(chosenSubjects).toEqual([subject, null, 'not rotated', subject, null]);
      });

      it('redeemRefreshTokens — many redemptions in one call: each its own result, as if one after the other', async () => {
        const jkt = 'sCMDEq8qH-0M4T2e3oNDcmvwBFWB5UR3FZBpzYHqYVk';
        const plain = await seedToken({
          sessionId: uid('ses'),
          acr: 'urn:tessera:mfa',
          familyExpiresAt: T0 + 1_000,
        });
        const twice = await seedToken();
        const foreign = await seedToken();
        const { client: other } = await seedOwners(store());
        const bound = await seedToken({ jkt });
        const disabled = await seedToken();
        await store().updateUser(disabled.user.id, { disabled: true }, T0 + 5);
        const used = await seedToken();
        await store().redeemRefreshToken(by(used.token), successor(), T0 + 5);
        const graced = await seedToken();
        const kept = successor();
        const grace = { until: T0 + 20, sealedSuccessor: `sealed:${kept.hash}` };
        await store().redeemRefreshToken(by(graced.token), kept, T0 + 5, grace);
        const expired = await seedToken({ expiresAt: T0 + 5 });
        const nexts = Array.from({ length: 11 }, () => successor());
        const at = (n: number) => nexts[n] ?? successor();
        const redemptions = [
          { presented: by(plain.token), successor: at(0), now: T0 + 10 },
          { presented: by(twice.token), successor: at(1), now: T0 + 10 },
          { presented: by(foreign.token, { clientId: other.id }), successor: at(2), now: T0 + 10 },
          { presented: by(twice.token), successor: at(3), now: T0 + 10 },
          { presented: by(bound.token), successor: at(4), now: T0 + 10 },
          { presented: by(bound.token, { jkt }), successor: at(5), now: T0 + 10 },
          { presented: by(disabled.token), successor: at(6), now: T0 + 10 },
          { presented: by(used.token), successor: at(7), now: T0 + 10 },
          { presented: by(graced.token), successor: at(8), now: T0 + 10, grace },
          { presented: by(expired.token), successor: at(9), now: T0 + 10 },
          { presented: by(foreign.token), successor: at(10), now: T0 + 10 },
        ];
        const results = await store().redeemRefreshTokens(redemptions);
        expect(
          results.map((result) => (result.status === 'refused' ? result.reason : result.status)),
        ).toEqual([
          'rotated',
          'rotated',
          'client',
          'reused',
          'dpop',
          'rotated',
          'user',
          'reused',
          'retried',
          'not_found',
          'rotated',
        ]);
        expect({ ...results[0], chosenSubject: undefined }).toEqual({
          status: 'rotated',
          previous: { ...plain.token, usedAt: T0 + 10 },
          user: plain.user,
        });
        expect(await store().findRefreshToken(at(0).hash)).toEqual({
          ...plain.token,
          hash: at(0).hash,
          issuedAt: T0 + 10,
          expiresAt: T0 + 1_000,
        });
        expect(results[5]).toMatchObject({ previous: { jkt }, user: bound.user });
        expect((await store().findRefreshToken(at(5).hash))?.jkt).toBe(jkt);
        expect(results[8]).toMatchObject({
          successor: { hash: kept.hash },
          sealedSuccessor: grace.sealedSuccessor,
        });
        // Written: the winners' successors; the second presentation of `twice` revoked its family.
        expect((await store().findRefreshToken(at(1).hash))?.revokedAt).toBe(T0 + 10);
        expect(await familyOf(store(), [twice.token, used.token, foreign.token, disabled.token])).toEqual([
          T0 + 10,
          T0 + 10,
          null,
          null,
        ]);
        for (const n of [2, 3, 4, 6, 7, 8, 9]) {
          expect(await store().findRefreshToken(at(n).hash)).toBeUndefined();
        }
        expect(await store().findRefreshToken(disabled.token.hash)).toEqual(disabled.token);
        expect((await store().findRefreshToken(at(10).hash))?.clientId).toBe(foreign.token.clientId);
        // The kept successor spent in a later call: the old token is no longer a retry but reuse.
        const later = await store().redeemRefreshTokens([
          { presented: by({ ...graced.token, hash: kept.hash }), successor: successor(), now: T0 + 11 },
          { presented: by(plain.token, { hash: at(0).hash }), successor: successor(), now: T0 + 11 },
        ]);
        expect(later.map((result) => result.status)).toEqual(['rotated', 'rotated']);
        expect((await store().redeemRefreshToken(by(graced.token), successor(), T0 + 12, grace)).status).toBe(
          'reused',
        );
      });

      it('redeemRefreshTokenWinners (PostgreSQL) — the winners in one statement on their own, each at its index; nothing written for the others', async () => {
        const winners = store().redeemRefreshTokenWinners?.bind(store());
        if (winners === undefined) {
          // SQLite has no such statement: its group commit runs the redemptions in one transaction.
          expect(store().dialect).toBe('sqlite');
          return;
        }
        const plain = await seedToken();
        const twice = await seedToken();
        const foreign = await seedToken();
        const { client: other } = await seedOwners(store());
        const used = await seedToken();
        await store().redeemRefreshToken(by(used.token), successor(), T0 + 5);
        const nexts = Array.from({ length: 5 }, () => successor());
        const at = (n: number) => nexts[n] ?? successor();
        const results = await winners([
          { presented: by(foreign.token, { clientId: other.id }), successor: at(0), now: T0 + 10 },
          { presented: by(twice.token), successor: at(1), now: T0 + 10 },
          { presented: by(used.token), successor: at(2), now: T0 + 10 },
          { presented: by(twice.token), successor: at(3), now: T0 + 10 },
          { presented: by(plain.token), successor: at(4), now: T0 + 10 },
        ]);
        expect(results.map((result) => result?.previous.hash)).toEqual([
          undefined,
          twice.token.hash,
          undefined,
          undefined,
          plain.token.hash,
        ]);
        expect(results[4]).toEqual({
          status: 'rotated',
          previous: { ...plain.token, usedAt: T0 + 10 },
          user: plain.user,
          chosenSubject: null,
        });
        expect((await store().findRefreshToken(at(4).hash))?.familyId).toBe(plain.token.familyId);
        expect((await store().findRefreshToken(at(1).hash))?.familyId).toBe(twice.token.familyId);
        // Nothing written for the others: not marked, no successor, no family revoked (not even the
        // used token's, or the second presentation of `twice`): the caller redeems them again.
        expect(await store().findRefreshToken(foreign.token.hash)).toEqual(foreign.token);
        for (const n of [0, 2, 3]) {
          expect(await store().findRefreshToken(at(n).hash)).toBeUndefined();
        }
        expect(await familyOf(store(), [twice.token, used.token])).toEqual([null, null]);
        // A successor hash that exists fails the statement, and nothing of it is written.
        const again = await seedToken();
        const more = await seedToken();
        await expect(
          winners([
            { presented: by(more.token), successor: successor(), now: T0 + 10 },
            { presented: by(again.token), successor: successor({ hash: at(4).hash }), now: T0 + 10 },
          ]),
        ).rejects.toThrow();
        expect(await store().findRefreshToken(more.token.hash)).toEqual(more.token);
        expect(await store().findRefreshToken(again.token.hash)).toEqual(again.token);
      });

      it('redeemRefreshTokenWinners (PostgreSQL) — RFC 9449 §5: a bound token with its key wins in the statement, with another key it is left for the caller; the sealed copy and grace are written', async () => {
        const winners = store().redeemRefreshTokenWinners?.bind(store());
        if (winners === undefined) {
          expect(store().dialect).toBe('sqlite');
          return;
        }
        const jkt = 'sCMDEq8qH-0M4T2e3oNDcmvwBFWB5UR3FZBpzYHqYVk';
        const bound = await seedToken({ jkt });
        const stolen = await seedToken({ jkt });
        const first = successor();
        const second = successor();
        const results = await winners([
          {
            presented: by(bound.token, { jkt }),
            successor: first,
            now: T0 + 10,
            grace: { until: T0 + 20, sealedSuccessor: 'sealed-first' },
          },
          { presented: by(stolen.token, { jkt: 'another-key' }), successor: second, now: T0 + 10 },
        ]);
        expect(results.map((result) => result?.status)).toEqual(['rotated', undefined]);
        expect((await store().findRefreshToken(first.hash))?.jkt).toBe(jkt);
        expect(await store().findRefreshToken(stolen.token.hash)).toEqual(stolen.token);
        // Within the grace the same token again gets the sealed copy the statement wrote.
        const retry = await store().redeemRefreshToken(by(bound.token, { jkt }), successor(), T0 + 15);
        expect(retry).toMatchObject({ status: 'retried', sealedSuccessor: 'sealed-first' });
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
