/** Linked identifiers: wallets and DIDs people sign in with, found by the identifier at sign-in. */
import type { LinkedIdentifierRecord, LinkedIdentifierStore } from '../ports.js';
import { count, type SqlContext, unique } from './context.js';
import type { LinkedIdentifierRow } from './database.js';

function toRecord(row: LinkedIdentifierRow): LinkedIdentifierRecord {
  return {
    identifier: row.identifier,
    userId: row.user_id,
    method: row.method === 'did' ? 'did' : 'siwe',
    createdAt: Number(row.created_at),
  };
}

export function linkedIdentifierStore(ctx: SqlContext): LinkedIdentifierStore {
  return {
    async linkIdentifier(record) {
      await unique('this identifier is already linked to an account', () =>
        ctx.db
          .insertInto('linked_identifiers')
          .values({
            identifier: record.identifier,
            user_id: record.userId,
            method: record.method,
            created_at: record.createdAt,
          })
          .execute(),
      );
    },

    async findLinkedIdentifier(identifier) {
      const row = await ctx.db
        .selectFrom('linked_identifiers')
        .selectAll()
        .where('identifier', '=', identifier)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },

    async listLinkedIdentifiers(userId) {
      const rows = await ctx.db
        .selectFrom('linked_identifiers')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('identifier')
        .execute();
      return rows.map(toRecord);
    },

    async unlinkIdentifier(userId, identifier) {
      const result = await ctx.db
        .deleteFrom('linked_identifiers')
        .where('identifier', '=', identifier)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return count(result.numDeletedRows) === 1;
    },
  };
}
