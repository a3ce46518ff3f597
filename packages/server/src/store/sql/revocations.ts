/** The revocation log: the source of the SSE stream and of every verifier's denylist. */
import type { RevocationEvent, RevocationTarget } from '@tessera/protocol';
import { sql } from 'kysely';
import type { RevocationStore } from '../ports.js';
import { batchLimit } from './batch-limit.js';
import { atomic, count, type SqlContext } from './context.js';
import type { RevocationRow } from './database.js';

/**
 * Stream readers resume from the last id they saw, so ids must become visible in id order. A
 * PostgreSQL sequence hands out ids before commit, so two writers could commit 6 before 5 and a
 * reader at 6 would never see 5; this transaction-scoped lock serialises the writers.
 */
const REVOCATION_LOCK = 0x7e55e4a;

function toEvent(row: RevocationRow): RevocationEvent {
  return {
    id: row.id,
    target: { type: row.target_type, value: row.target_value } as RevocationTarget,
    revokedAt: row.revoked_at,
    expiresAt: row.expires_at,
  };
}

export function revocationStore(ctx: SqlContext): RevocationStore {
  return {
    addRevocation(target, revokedAt, expiresAt) {
      return atomic(ctx, async (db) => {
        if (ctx.dialect === 'postgres') {
          await sql`select pg_advisory_xact_lock(${REVOCATION_LOCK})`.execute(db);
        }
        const row = await db
          .insertInto('revocations')
          .values({
            target_type: target.type,
            target_value: target.value,
            revoked_at: revokedAt,
            expires_at: expiresAt,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toEvent(row);
      });
    },

    async listActiveRevocations(now) {
      const rows = await ctx.db
        .selectFrom('revocations')
        .selectAll()
        .where('expires_at', '>', now)
        .orderBy('id')
        .execute();
      return rows.map(toEvent);
    },

    async listRevocationsSince(afterId, limit) {
      const rows = await ctx.db
        .selectFrom('revocations')
        .selectAll()
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(Math.max(0, Math.floor(limit)))
        .execute();
      return rows.map(toEvent);
    },

    async latestRevocationId() {
      const row = await ctx.db
        .selectFrom('revocations')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirst();
      return row?.id === null || row?.id === undefined ? 0 : Number(row.id);
    },

    async purgeExpiredRevocations(now, limit) {
      const result = await ctx.db
        .deleteFrom('revocations')
        .where('expires_at', '<=', now)
        .$if(limit !== undefined, (query) =>
          query.where('id', 'in', (eb) =>
            eb
              .selectFrom('revocations')
              .select('id')
              .where('expires_at', '<=', now)
              .orderBy('id')
              .limit(batchLimit(limit)),
          ),
        )
        .executeTakeFirst();
      return count(result.numDeletedRows);
    },
  };
}
