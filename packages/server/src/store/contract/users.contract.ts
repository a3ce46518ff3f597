import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../ports.js';
import { collectPages, type MakeStore, newSession, newUser, T0, uid, useStore } from './fixtures.js';

export function describeUserStore(makeStore: MakeStore): void {
  describe('UserStore', () => {
    const store = useStore(makeStore);

    it('creates a user and finds it by id and by username', async () => {
      const input = newUser({
        email: 'ada@example.com',
        emailVerified: true,
        name: 'Ada',
        tokensValidAfter: T0 - 5,
      });
      const created = await store().createUser(input, T0);
      expect(created).toEqual({
        ...input,
        mfaRequired: false,
        adminScopes: null,
        createdAt: T0,
        updatedAt: T0,
      });
      expect(await store().findUser(input.id)).toEqual(created);
      expect(await store().findUserByUsername(input.username)).toEqual(created);
    });

    it("stores a person's admin scopes (0015): set on create, replaced and cleared by update", async () => {
      const admin = await store().createUser(newUser({ adminScopes: ['clients:read', 'users:write'] }), T0);
      expect((await store().findUser(admin.id))?.adminScopes).toEqual(['clients:read', 'users:write']);
      const readOnly = await store().updateUser(admin.id, { adminScopes: ['admin'] }, T0 + 1);
      expect(readOnly.adminScopes).toEqual(['admin']);
      expect((await store().findUserByUsername(admin.username))?.adminScopes).toEqual(['admin']);
      await store().updateUser(admin.id, { adminScopes: null }, T0 + 2);
      expect((await store().findUser(admin.id))?.adminScopes).toBeNull();
      const untouched = await store().updateUser(admin.id, { name: 'N' }, T0 + 3);
      expect(untouched.adminScopes).toBeNull();
    });

    it('returns undefined for an unknown id or username', async () => {
      expect(await store().findUser(uid('usr'))).toBeUndefined();
      expect(await store().findUserByUsername(uid('nobody'))).toBeUndefined();
    });

    it('rejects a taken username on create and on rename', async () => {
      const first = await store().createUser(newUser(), T0);
      await expect(store().createUser(newUser({ username: first.username }), T0)).rejects.toBeInstanceOf(
        ConflictError,
      );
      const second = await store().createUser(newUser(), T0);
      await expect(store().updateUser(second.id, { username: first.username }, T0)).rejects.toBeInstanceOf(
        ConflictError,
      );
    });

    it('pages through users in creation order', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await store().createUser(newUser(), T0 + 2000 + i)).id);
      }
      const { items } = await collectPages(2, (options) => store().listUsers(options));
      expect(items.map((user) => user.id).filter((id) => ids.includes(id))).toEqual(ids);
    });

    it('updates only the patched fields and bumps updatedAt', async () => {
      const user = await store().createUser(newUser(), T0);
      const updated = await store().updateUser(
        user.id,
        { disabled: true, tokensValidAfter: T0 + 9, email: 'x@example.com', emailVerified: true },
        T0 + 9,
      );
      expect(updated).toEqual({
        ...user,
        disabled: true,
        tokensValidAfter: T0 + 9,
        email: 'x@example.com',
        emailVerified: true,
        updatedAt: T0 + 9,
      });
      expect((await store().updateUser(user.id, { email: null }, T0 + 10)).email).toBeNull();
    });

    it('throws NotFoundError when updating or deleting an unknown user', async () => {
      await expect(store().updateUser(uid('usr'), { name: 'x' }, T0)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store().deleteUser(uid('usr'))).rejects.toBeInstanceOf(NotFoundError);
    });

    it('deletes a user together with their sessions', async () => {
      const user = await store().createUser(newUser(), T0);
      const session = newSession(user.id);
      await store().createSession(session);
      await store().deleteUser(user.id);
      expect(await store().findUser(user.id)).toBeUndefined();
      expect(await store().findSession(session.id)).toBeUndefined();
    });
  });
}
