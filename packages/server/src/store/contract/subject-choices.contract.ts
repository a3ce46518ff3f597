import { describe, expect, it } from 'vitest';
import { ConflictError } from '../ports.js';
import { type MakeStore, newClient, newUser, T0, uid, useStore } from './fixtures.js';

export function describeSubjectChoiceStore(makeStore: MakeStore): void {
  describe('SubjectChoiceStore (0027)', () => {
    const store = useStore(makeStore);
    const seedUser = async () => (await store().createUser(newUser(), T0)).id;
    const seedClient = async () => (await store().createClient(newClient(), T0)).id;

    it('records, replaces, finds (by person or by sub) and lists a choice', async () => {
      const [userId, clientId, other] = [await seedUser(), await seedClient(), await seedClient()];
      const choice = { userId, clientId, subject: uid('sub'), chosenAt: T0 };
      await store().setSubjectChoice(choice);
      await store().setSubjectChoice({ userId, clientId: other, subject: uid('sub'), chosenAt: T0 + 1 });
      expect(await store().findSubjectChoice(userId, clientId)).toEqual(choice);
      expect(await store().findSubjectChoiceBySubject(clientId, choice.subject)).toEqual(choice);
      expect(await store().findSubjectChoiceBySubject(other, choice.subject)).toBeUndefined();
      const replaced = { ...choice, subject: uid('sub'), chosenAt: T0 + 2 };
      await store().setSubjectChoice(replaced);
      expect(await store().findSubjectChoice(userId, clientId)).toEqual(replaced);
      expect(await store().findSubjectChoiceBySubject(clientId, choice.subject)).toBeUndefined();
      expect((await store().listSubjectChoices(userId)).map((c) => c.clientId).sort()).toEqual(
        [clientId, other].sort(),
      );
      expect(await store().listSubjectChoices(await seedUser())).toEqual([]);
    });

    it('forgets a choice once, and only for its person', async () => {
      const [userId, clientId] = [await seedUser(), await seedClient()];
      await store().setSubjectChoice({ userId, clientId, subject: uid('sub'), chosenAt: T0 });
      expect(await store().clearSubjectChoice(await seedUser(), clientId)).toBe(false);
      expect(await store().clearSubjectChoice(userId, clientId)).toBe(true);
      expect(await store().clearSubjectChoice(userId, clientId)).toBe(false);
      expect(await store().findSubjectChoice(userId, clientId)).toBeUndefined();
    });

    it('refuses one pairwise sub for two people at one client', async () => {
      const clientId = await seedClient();
      const subject = uid('sub');
      await store().setSubjectChoice({ userId: await seedUser(), clientId, subject, chosenAt: T0 });
      const other = await seedUser();
      await expect(
        store().setSubjectChoice({ userId: other, clientId, subject, chosenAt: T0 }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect(await store().findSubjectChoice(other, clientId)).toBeUndefined();
    });

    it('goes with the person and with the client', async () => {
      const [userId, clientId, other] = [await seedUser(), await seedClient(), await seedClient()];
      await store().setSubjectChoice({ userId, clientId, subject: uid('sub'), chosenAt: T0 });
      await store().deleteClient(clientId);
      expect(await store().findSubjectChoice(userId, clientId)).toBeUndefined();
      await store().setSubjectChoice({ userId, clientId: other, subject: uid('sub'), chosenAt: T0 });
      await store().deleteUser(userId);
      expect(await store().listSubjectChoices(userId)).toEqual([]);
    });
  });
}
