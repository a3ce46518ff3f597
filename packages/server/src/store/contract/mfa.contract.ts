import { describe, expect, it } from 'vitest';
import { type MakeStore, newUser, T0, useStore } from './fixtures.js';

export function describeMfaStore(makeStore: MakeStore): void {
  describe('MfaStore', () => {
    const store = useStore(makeStore);

    async function user() {
      return store().createUser(newUser(), T0);
    }

    it('a pending enrolment is confirmed once by a step; a confirmed one cannot be restarted', async () => {
      const u = await user();
      expect(await store().findTotp(u.id)).toBeUndefined();
      expect(u.mfaRequired).toBe(false);
      expect(await store().beginTotpEnrolment(u.id, 'sealed-1', T0)).toBe(true);
      // A restart replaces the pending secret.
      expect(await store().beginTotpEnrolment(u.id, 'sealed-2', T0 + 1)).toBe(true);
      expect(await store().findTotp(u.id)).toMatchObject({ sealedSecret: 'sealed-2', confirmedAt: null });
      // Sign-in steps are refused while pending.
      expect(await store().useTotpStep(u.id, 100, {})).toBe(false);
      expect(await store().useTotpStep(u.id, 100, { confirmAt: T0 + 2 })).toBe(true);
      expect(await store().findTotp(u.id)).toMatchObject({ confirmedAt: T0 + 2, lastUsedStep: 100 });
      expect(await store().useTotpStep(u.id, 101, { confirmAt: T0 + 3 })).toBe(false);
      expect(await store().beginTotpEnrolment(u.id, 'sealed-3', T0 + 3)).toBe(false);
    });

    it('RFC 6238 §5.2 — a step is accepted once, and never one at or before the last accepted', async () => {
      const u = await user();
      await store().beginTotpEnrolment(u.id, 'sealed', T0);
      await store().useTotpStep(u.id, 100, { confirmAt: T0 });
      expect(await store().useTotpStep(u.id, 100, {})).toBe(false);
      expect(await store().useTotpStep(u.id, 99, {})).toBe(false);
      expect(await store().useTotpStep(u.id, 101, {})).toBe(true);
      expect(await store().useTotpStep(u.id, 101, {})).toBe(false);
    });

    it('race: 10 concurrent uses of one step → exactly one accepted', async () => {
      const u = await user();
      await store().beginTotpEnrolment(u.id, 'sealed', T0);
      await store().useTotpStep(u.id, 100, { confirmAt: T0 });
      const results = await Promise.all(Array.from({ length: 10 }, () => store().useTotpStep(u.id, 200, {})));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('recovery codes: each used once (also under a race), counted, replaced, removed with TOTP', async () => {
      const u = await user();
      await store().beginTotpEnrolment(u.id, 'sealed', T0);
      await store().replaceRecoveryCodes(u.id, ['h1', 'h2', 'h3'], T0);
      expect(await store().countRecoveryCodes(u.id)).toBe(3);
      const race = await Promise.all(
        Array.from({ length: 5 }, () => store().useRecoveryCode(u.id, 'h1', T0)),
      );
      expect(race.filter(Boolean)).toHaveLength(1);
      expect(await store().useRecoveryCode(u.id, 'h1', T0)).toBe(false);
      expect(await store().useRecoveryCode(u.id, 'unknown', T0)).toBe(false);
      expect(await store().countRecoveryCodes(u.id)).toBe(2);
      // Another person's code is not theirs.
      const other = await user();
      expect(await store().useRecoveryCode(other.id, 'h2', T0)).toBe(false);
      await store().replaceRecoveryCodes(u.id, ['h4'], T0);
      expect(await store().useRecoveryCode(u.id, 'h2', T0)).toBe(false);
      expect(await store().countRecoveryCodes(u.id)).toBe(1);
      expect(await store().deleteTotp(u.id)).toBe(true);
      expect(await store().deleteTotp(u.id)).toBe(false);
      expect(await store().findTotp(u.id)).toBeUndefined();
      expect(await store().countRecoveryCodes(u.id)).toBe(0);
    });

    it('sealed secrets are listed and re-sealed in place (master-key rotation)', async () => {
      const u = await user();
      await store().beginTotpEnrolment(u.id, 'sealed-old', T0);
      expect((await store().listTotpSecrets()).find((row) => row.userId === u.id)).toEqual({
        userId: u.id,
        sealedSecret: 'sealed-old',
      });
      await store().resealTotpSecret(u.id, 'sealed-new');
      expect(await store().findTotp(u.id)).toMatchObject({ sealedSecret: 'sealed-new', confirmedAt: null });
    });

    it('mfaRequired is stored and patched', async () => {
      const u = await store().createUser({ ...newUser(), mfaRequired: true }, T0);
      expect((await store().findUser(u.id))?.mfaRequired).toBe(true);
      await store().updateUser(u.id, { mfaRequired: false }, T0);
      expect((await store().findUser(u.id))?.mfaRequired).toBe(false);
    });
  });
}
