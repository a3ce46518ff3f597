/** The risk engine's shared state (0024): people's histories and the global sums. */
import { sql } from 'kysely';
import type { RiskStateStore } from '../ports.js';
import { batchLimit } from './batch-limit.js';
import { atomic, count, type SqlContext } from './context.js';

/** Keys per upsert statement (three parameters each). */
const CHUNK = 500;

export function riskStateStore(ctx: SqlContext): RiskStateStore {
  return {
    async findRiskProfile(userId) {
      const row = await ctx.db
        .selectFrom('risk_profiles')
        .selectAll()
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row === undefined
        ? undefined
        : {
            userId: row.user_id,
            data: row.data,
            version: Number(row.version),
            updatedAt: Number(row.updated_at),
          };
    },

    async writeRiskProfile(userId, data, expectedVersion, updatedAt) {
      if (expectedVersion === 0) {
        const result = await ctx.db
          .insertInto('risk_profiles')
          .values({ user_id: userId, data, version: 1, updated_at: updatedAt })
          .onConflict((conflict) => conflict.column('user_id').doNothing())
          .executeTakeFirst();
        return count(result.numInsertedOrUpdatedRows) > 0;
      }
      const result = await ctx.db
        .updateTable('risk_profiles')
        .set({ data, version: expectedVersion + 1, updated_at: updatedAt })
        .where('user_id', '=', userId)
        .where('version', '=', expectedVersion)
        .executeTakeFirst();
      return count(result.numUpdatedRows) > 0;
    },

    async deleteRiskProfile(userId) {
      const result = await ctx.db
        .deleteFrom('risk_profiles')
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return count(result.numDeletedRows) > 0;
    },

    async addRiskGlobals(deltas, updatedAt) {
      // Sorted, so two nodes adding overlapping keys lock rows in the same order (no deadlock).
      const rows = Object.entries(deltas)
        .filter(([, value]) => Number.isFinite(value) && value !== 0)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, value]) => ({ key, value, updated_at: updatedAt }));
      for (let i = 0; i < rows.length; i += CHUNK) {
        await ctx.db
          .insertInto('risk_global')
          .values(rows.slice(i, i + CHUNK))
          .onConflict((conflict) =>
            conflict.column('key').doUpdateSet({
              value: sql<number>`risk_global.value + excluded.value`,
              updated_at: sql<number>`excluded.updated_at`,
            }),
          )
          .execute();
      }
    },

    async listRiskGlobals(since) {
      let query = ctx.db.selectFrom('risk_global').select(['key', 'value']);
      if (since !== undefined) {
        query = query.where('updated_at', '>=', since);
      }
      const rows = await query.execute();
      return Object.fromEntries(rows.map((row) => [row.key, Number(row.value)]));
    },

    async purgeRiskGlobalsBefore(prefix, before, limit) {
      // The prefix is the engine's (`h1:`, `h24:`): no LIKE wildcard in it, checked all the same.
      if (!/^[a-z0-9:]+$/i.test(prefix)) {
        throw new RangeError('a risk sum prefix is letters, digits and colons');
      }
      const result = await ctx.db
        .deleteFrom('risk_global')
        .where('key', 'like', `${prefix}%`)
        .where('updated_at', '<', before)
        .$if(limit !== undefined, (query) =>
          query.where(
            'key',
            'in',
            ctx.db
              .selectFrom('risk_global')
              .select('key')
              .where('key', 'like', `${prefix}%`)
              .where('updated_at', '<', before)
              .limit(batchLimit(limit)),
          ),
        )
        .executeTakeFirst();
      return count(result.numDeletedRows);
    },

    replaceRiskState(profiles, sums, updatedAt) {
      return atomic(ctx, async (db) => {
        await db.deleteFrom('risk_profiles').execute();
        await db.deleteFrom('risk_global').execute();
        const rows = Object.entries(sums)
          .filter(([, value]) => Number.isFinite(value) && value !== 0)
          .map(([key, value]) => ({ key, value, updated_at: updatedAt }));
        for (let i = 0; i < rows.length; i += CHUNK) {
          await db
            .insertInto('risk_global')
            .values(rows.slice(i, i + CHUNK))
            .execute();
        }
        let written = 0;
        for (let i = 0; i < profiles.length; i += CHUNK) {
          const chunk = profiles.slice(i, i + CHUNK);
          // People deleted since their sign-ins were audited have no row to hang a history on.
          const existing = new Set(
            (
              await db
                .selectFrom('users')
                .select('id')
                .where(
                  'id',
                  'in',
                  chunk.map((profile) => profile.userId),
                )
                .execute()
            ).map((row) => row.id),
          );
          const kept = chunk
            .filter((profile) => existing.has(profile.userId))
            .map((profile) => ({
              user_id: profile.userId,
              data: profile.data,
              version: 1,
              updated_at: updatedAt,
            }));
          if (kept.length > 0) {
            await db.insertInto('risk_profiles').values(kept).execute();
            written += kept.length;
          }
        }
        return written;
      });
    },
  };
}
