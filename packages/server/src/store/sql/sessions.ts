/** Login sessions: the cookie carries a secret, the row its SHA-256. */
import { NotFoundError, type SessionRecord, type SessionStore } from '../ports.js';
import { batchLimit } from './batch-limit.js';
import {
  count,
  decodeKeyCursor,
  encodeKeyCursor,
  fromJson,
  pageLimit,
  type SqlContext,
  toJson,
  toPage,
  unique,
} from './context.js';
import type { SessionRow } from './database.js';

function toSession(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    hash: row.hash,
    userId: row.user_id,
    authTime: row.auth_time,
    amr: fromJson(row.amr),
    acr: row.acr,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    userAgent: row.user_agent,
    ip: row.ip,
  };
}

export function sessionStore(ctx: SqlContext): SessionStore {
  return {
    async createSession(session) {
      await unique(`session ${session.id} already exists`, () =>
        ctx.db
          .insertInto('sessions')
          .values({
            id: session.id,
            hash: session.hash,
            user_id: session.userId,
            auth_time: session.authTime,
            amr: toJson(session.amr),
            acr: session.acr,
            created_at: session.createdAt,
            last_seen_at: session.lastSeenAt,
            expires_at: session.expiresAt,
            user_agent: session.userAgent,
            ip: session.ip,
          })
          .execute(),
      );
    },

    async findSessionByHash(hash) {
      const row = await ctx.db.selectFrom('sessions').selectAll().where('hash', '=', hash).executeTakeFirst();
      return row === undefined ? undefined : toSession(row);
    },

    async findSession(id) {
      const row = await ctx.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toSession(row);
    },

    async listSessions(filter) {
      const limit = pageLimit(filter.limit);
      const after = decodeKeyCursor(filter.cursor);
      let query = ctx.db.selectFrom('sessions').selectAll();
      if (filter.userId !== undefined) {
        query = query.where('user_id', '=', filter.userId);
      }
      if (after !== undefined) {
        query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '>', eb.tuple(after.at, after.id)));
      }
      const rows = await query
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, toSession, (row) => encodeKeyCursor(row.created_at, row.id));
    },

    async touchSession(id, lastSeenAt, expiresAt) {
      const result = await ctx.db
        .updateTable('sessions')
        .set({ last_seen_at: lastSeenAt, expires_at: expiresAt })
        .where('id', '=', id)
        .executeTakeFirst();
      if (count(result.numUpdatedRows) === 0) {
        throw new NotFoundError(`session ${id} not found`);
      }
    },

    async deleteSessions(filter) {
      if (filter.id === undefined && filter.userId === undefined) {
        throw new TypeError('deleteSessions needs an id or a userId');
      }
      let query = ctx.db.deleteFrom('sessions');
      if (filter.id !== undefined) {
        query = query.where('id', '=', filter.id);
      }
      if (filter.userId !== undefined) {
        query = query.where('user_id', '=', filter.userId);
      }
      const rows = await query.returning('id').execute();
      return rows.map((row) => row.id);
    },

    async purgeExpiredSessions(now, limit) {
      const result = await ctx.db
        .deleteFrom('sessions')
        .where('expires_at', '<=', now)
        .$if(limit !== undefined, (query) =>
          query.where('id', 'in', (eb) =>
            eb.selectFrom('sessions').select('id').where('expires_at', '<=', now).limit(batchLimit(limit)),
          ),
        )
        .executeTakeFirst();
      return count(result.numDeletedRows);
    },
  };
}
