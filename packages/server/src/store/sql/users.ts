/** Users: usernames are unique. */
import type { Updateable } from 'kysely';
import { NotFoundError, type UserPatch, type UserRecord, type UserStore } from '../ports.js';
import {
  count,
  decodeKeyCursor,
  encodeKeyCursor,
  fromFlag,
  pageLimit,
  type SqlContext,
  toFlag,
  toPage,
  unique,
} from './context.js';
import type { UserRow, UsersTable } from './database.js';

export function toUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    emailVerified: fromFlag(row.email_verified),
    name: row.name,
    passwordHash: row.password_hash,
    disabled: fromFlag(row.disabled),
    tokensValidAfter: row.tokens_valid_after,
    mfaRequired: fromFlag(row.mfa_required),
    adminScopes: row.admin_scopes === null ? null : row.admin_scopes.split(' ').filter((s) => s !== ''),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function adminScopesColumn(scopes: readonly string[] | null | undefined): string | null {
  return scopes === null || scopes === undefined ? null : scopes.join(' ');
}

function patchColumns(patch: UserPatch): Updateable<UsersTable> {
  const set: Updateable<UsersTable> = {};
  if (patch.username !== undefined) {
    set.username = patch.username;
  }
  if (patch.email !== undefined) {
    set.email = patch.email;
  }
  if (patch.emailVerified !== undefined) {
    set.email_verified = toFlag(patch.emailVerified);
  }
  if (patch.name !== undefined) {
    set.name = patch.name;
  }
  if (patch.passwordHash !== undefined) {
    set.password_hash = patch.passwordHash;
  }
  if (patch.disabled !== undefined) {
    set.disabled = toFlag(patch.disabled);
  }
  if (patch.tokensValidAfter !== undefined) {
    set.tokens_valid_after = patch.tokensValidAfter;
  }
  if (patch.mfaRequired !== undefined) {
    set.mfa_required = toFlag(patch.mfaRequired);
  }
  if (patch.adminScopes !== undefined) {
    set.admin_scopes = adminScopesColumn(patch.adminScopes);
  }
  return set;
}

export function userStore(ctx: SqlContext): UserStore {
  return {
    async createUser(user, now) {
      const row = await unique(`user ${user.id} or username ${user.username} already exists`, () =>
        ctx.db
          .insertInto('users')
          .values({
            id: user.id,
            username: user.username,
            email: user.email,
            email_verified: toFlag(user.emailVerified),
            name: user.name,
            password_hash: user.passwordHash,
            disabled: toFlag(user.disabled),
            tokens_valid_after: user.tokensValidAfter,
            mfa_required: toFlag(user.mfaRequired ?? false),
            admin_scopes: adminScopesColumn(user.adminScopes),
            created_at: now,
            updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
      return toUser(row);
    },

    async findUser(id) {
      const row = await ctx.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toUser(row);
    },

    async findUserByUsername(username) {
      const row = await ctx.db
        .selectFrom('users')
        .selectAll()
        .where('username', '=', username)
        .executeTakeFirst();
      return row === undefined ? undefined : toUser(row);
    },

    async listUsers(options = {}) {
      const limit = pageLimit(options.limit);
      const after = decodeKeyCursor(options.cursor);
      let query = ctx.db.selectFrom('users').selectAll();
      if (after !== undefined) {
        query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '>', eb.tuple(after.at, after.id)));
      }
      const rows = await query
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, toUser, (row) => encodeKeyCursor(row.created_at, row.id));
    },

    async updateUser(id, patch, now) {
      const row = await unique(`username ${patch.username ?? ''} already exists`, () =>
        ctx.db
          .updateTable('users')
          .set({ ...patchColumns(patch), updated_at: now })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst(),
      );
      if (row === undefined) {
        throw new NotFoundError(`user ${id} not found`);
      }
      return toUser(row);
    },

    async deleteUser(id) {
      // Sessions, consents, codes and refresh tokens go with it (ON DELETE CASCADE).
      const result = await ctx.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      if (count(result.numDeletedRows) === 0) {
        throw new NotFoundError(`user ${id} not found`);
      }
    },
  };
}
