/** Admin API credentials: looked up by the SHA-256 of the token, never stored in clear. */
import type { AdminTokenRecord, AdminTokenStore } from '../ports.js';
import { count, fromJson, type SqlContext, toJson, unique } from './context.js';
import type { AdminTokenRow } from './database.js';

function toAdminToken(row: AdminTokenRow): AdminTokenRecord {
  return {
    id: row.id,
    name: row.name,
    scopes: fromJson(row.scopes),
    hash: row.token_hash,
    start: row.start,
    createdAt: Number(row.created_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

export function adminTokenStore(ctx: SqlContext): AdminTokenStore {
  return {
    async insertAdminToken(token) {
      await unique(`admin token ${token.id} already exists`, () =>
        ctx.db
          .insertInto('admin_tokens')
          .values({
            id: token.id,
            name: token.name,
            scopes: toJson(token.scopes),
            token_hash: token.hash,
            start: token.start,
            created_at: token.createdAt,
            expires_at: token.expiresAt,
            revoked_at: token.revokedAt,
          })
          .execute(),
      );
    },

    async findAdminTokenByHash(hash) {
      const row = await ctx.db
        .selectFrom('admin_tokens')
        .selectAll()
        .where('token_hash', '=', hash)
        .executeTakeFirst();
      return row === undefined ? undefined : toAdminToken(row);
    },

    async listAdminTokens() {
      const rows = await ctx.db
        .selectFrom('admin_tokens')
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toAdminToken);
    },

    async revokeAdminToken(id, at) {
      const result = await ctx.db
        .updateTable('admin_tokens')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return count(result.numUpdatedRows) > 0;
    },
  };
}
