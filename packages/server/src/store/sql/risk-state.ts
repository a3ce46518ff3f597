/** The risk engine's shared state (0024): people's histories and the global sums. */
import { sql } from 'kysely';
import type { RiskStateStore } from '../ports.js';
import { count, type SqlContext } from './context.js';

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
  };
}
