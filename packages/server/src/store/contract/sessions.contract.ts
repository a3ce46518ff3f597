import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../ports.js';
import { collectPages, type MakeStore, newSession, newUser, T0, uid, useStore } from './fixtures.js';

export function describeSessionStore(makeStore: MakeStore): void {
  describe('SessionStore', () => {
    const store = useStore(makeStore);
    const seedUser = async () => (await store().createUser(newUser(), T0)).id;

    it('finds a session by id and by the hash of its cookie secret', async () => {
      const session = newSession(await seedUser(), { acr: 'urn:tessera:pwd', amr: ['pwd', 'otp'] });
      await store().createSession(session);
      expect(await store().findSession(session.id)).toEqual(session);
      expect(await store().findSessionByHash(session.hash)).toEqual(session);
      const bare = newSession(await seedUser(), { userAgent: null, ip: null });
      await store().createSession(bare);
      expect(await store().findSession(bare.id)).toEqual(bare);
    });

    it('returns undefined for an unknown id or hash', async () => {
      expect(await store().findSession(uid('ses'))).toBeUndefined();
      expect(await store().findSessionByHash(uid('hash'))).toBeUndefined();
    });

    it("pages through one user's sessions in creation order", async () => {
      const userId = await seedUser();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const session = newSession(userId, { createdAt: T0 + i });
        ids.push(session.id);
        await store().createSession(session);
      }
      await store().createSession(newSession(await seedUser()));
      const { items, pages } = await collectPages(2, (options) =>
        store().listSessions({ userId, ...options }),
      );
      expect(items.map((session) => session.id)).toEqual(ids);
      expect(pages).toBe(2);
    });

    it('slides a session forward and throws NotFoundError for an unknown one', async () => {
      const session = newSession(await seedUser());
      await store().createSession(session);
      await store().touchSession(session.id, T0 + 60, T0 + 7200);
      expect(await store().findSession(session.id)).toEqual({
        ...session,
        lastSeenAt: T0 + 60,
        expiresAt: T0 + 7200,
      });
      await expect(store().touchSession(uid('ses'), T0, T0)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('deletes one session or all of a user and returns their ids', async () => {
      const userId = await seedUser();
      const a = newSession(userId);
      const b = newSession(userId);
      const c = newSession(userId);
      for (const session of [a, b, c]) {
        await store().createSession(session);
      }
      expect(await store().deleteSessions({ id: a.id })).toEqual([a.id]);
      expect(await store().deleteSessions({ id: a.id })).toEqual([]);
      expect((await store().deleteSessions({ userId })).sort()).toEqual([b.id, c.id].sort());
      expect(await store().findSession(b.id)).toBeUndefined();
    });

    it('refuses to delete sessions with an empty filter', async () => {
      await expect(store().deleteSessions({})).rejects.toThrow();
    });

    it('purges sessions that have expired', async () => {
      const userId = await seedUser();
      const expired = newSession(userId, { expiresAt: T0 });
      const live = newSession(userId, { expiresAt: T0 + 1 });
      await store().createSession(expired);
      await store().createSession(live);
      expect(await store().purgeExpiredSessions(T0)).toBeGreaterThanOrEqual(1);
      expect(await store().findSession(expired.id)).toBeUndefined();
      expect(await store().findSession(live.id)).toEqual(live);
    });
  });
}
