/** Consent: the scopes a user granted a client, merged across grants. */
import type { ConsentRecord, ConsentStore } from '../ports.js';
import { atomic, fromJson, type SqlContext, toJson } from './context.js';
import type { ConsentRow } from './database.js';

function toConsent(row: ConsentRow): ConsentRecord {
  return {
    userId: row.user_id,
    clientId: row.client_id,
    scope: fromJson(row.scope),
    grantedAt: row.granted_at,
  };
}

export function consentStore(ctx: SqlContext): ConsentStore {
  return {
    async findConsent(userId, clientId) {
      const row = await ctx.db
        .selectFrom('consents')
        .selectAll()
        .where('user_id', '=', userId)
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      return row === undefined ? undefined : toConsent(row);
    },

    async listConsents(userId) {
      const rows = await ctx.db.selectFrom('consents').selectAll().where('user_id', '=', userId).execute();
      // Sorted here, not by the database's collation, so both dialects agree.
      return rows
        .map(toConsent)
        .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
    },

    grantConsent(userId, clientId, scope, now) {
      return atomic(ctx, async (db) => {
        // Insert-if-absent first, so that the row exists and can be locked for the merge.
        await db
          .insertInto('consents')
          .values({ user_id: userId, client_id: clientId, scope: toJson([]), granted_at: now })
          .onConflict((oc) => oc.columns(['user_id', 'client_id']).doNothing())
          .execute();
        let select = db
          .selectFrom('consents')
          .selectAll()
          .where('user_id', '=', userId)
          .where('client_id', '=', clientId);
        if (ctx.dialect === 'postgres') {
          select = select.forUpdate();
        }
        const current = await select.executeTakeFirstOrThrow();
        const merged = [...new Set([...fromJson<string[]>(current.scope), ...scope])];
        const row = await db
          .updateTable('consents')
          .set({ scope: toJson(merged), granted_at: now })
          .where('user_id', '=', userId)
          .where('client_id', '=', clientId)
          .returningAll()
          .executeTakeFirstOrThrow();
        return toConsent(row);
      });
    },

    async revokeConsent(filter) {
      let query = ctx.db.deleteFrom('consents').where('user_id', '=', filter.userId);
      if (filter.clientId !== undefined) {
        query = query.where('client_id', '=', filter.clientId);
      }
      await query.execute();
    },
  };
}
