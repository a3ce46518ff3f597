/** A session's token-use state (0032), read per batch and written with optimistic concurrency. */
import type { SessionUsageRecord, SessionUsageStore } from '../ports.js';
import { batchLimit } from './batch-limit.js';
import { count, type SqlContext } from './context.js';

/** Session ids per `IN (…)` list: a batch names at most 1,000 sessions. */
const CHUNK = 500;

export function sessionUsageStore(ctx: SqlContext): SessionUsageStore {
  return {
    async findSessionUsage(sids) {
      const found: SessionUsageRecord[] = [];
      const unique = [...new Set(sids)];
      for (let i = 0; i < unique.length; i += CHUNK) {
        const rows = await ctx.db
          .selectFrom('session_usage')
          .selectAll()
          .where('sid', 'in', unique.slice(i, i + CHUNK))
          .execute();
        for (const row of rows) {
          found.push({
            sid: row.sid,
            state: row.state,
            applied: row.applied,
            version: Number(row.version),
            expiresAt: Number(row.expires_at),
            updatedAt: Number(row.updated_at),
          });
        }
      }
      return found;
    },

    async writeSessionUsage(record, expectedVersion) {
      const values = {
        state: record.state,
        applied: record.applied,
        expires_at: record.expiresAt,
        updated_at: record.updatedAt,
      };
      if (expectedVersion === 0) {
        const result = await ctx.db
          .insertInto('session_usage')
          .values({ sid: record.sid, version: 1, ...values })
          .onConflict((conflict) => conflict.column('sid').doNothing())
          .executeTakeFirst();
        return count(result.numInsertedOrUpdatedRows) > 0;
      }
      const result = await ctx.db
        .updateTable('session_usage')
        .set({ version: expectedVersion + 1, ...values })
        .where('sid', '=', record.sid)
        .where('version', '=', expectedVersion)
        .executeTakeFirst();
      return count(result.numUpdatedRows) > 0;
    },

    async purgeEndedSessionUsage(now, limit) {
      const ended = ctx.db
        .selectFrom('session_usage')
        .select('sid')
        .where((eb) =>
          eb.or([
            eb('expires_at', '<=', now),
            eb.not(
              eb.exists(
                eb
                  .selectFrom('sessions')
                  .select('sessions.id')
                  .whereRef('sessions.id', '=', 'session_usage.sid'),
              ),
            ),
          ]),
        )
        .$if(limit !== undefined, (query) => query.limit(batchLimit(limit)));
      const result = await ctx.db.deleteFrom('session_usage').where('sid', 'in', ended).executeTakeFirst();
      return count(result.numDeletedRows);
    },
  };
}
