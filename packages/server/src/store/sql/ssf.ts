/** Shared Signals Framework streams and their queued SETs (0029). */
import type { QueuedSet, SsfStore, SsfStreamRecord } from '../ports.js';
import { batchLimit } from './batch-limit.js';
import { count, type SqlContext } from './context.js';
import type { SsfSetRow, SsfStreamRow } from './database.js';

function toStream(row: SsfStreamRow): SsfStreamRecord {
  return { id: row.id, clientId: row.client_id, createdAt: Number(row.created_at) };
}

function toSet(row: SsfSetRow): QueuedSet {
  return {
    streamId: row.stream_id,
    jti: row.jti,
    payload: row.payload,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}

function isForeignKeyViolation(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

export function ssfStore(ctx: SqlContext): SsfStore {
  async function findStream(clientId: string): Promise<SsfStreamRecord | undefined> {
    const row = await ctx.db
      .selectFrom('ssf_streams')
      .selectAll()
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row === undefined ? undefined : toStream(row);
  }

  return {
    async ensureSsfStream(clientId, id, now) {
      const existing = await findStream(clientId);
      if (existing !== undefined) {
        return existing;
      }
      // Another request may create it first (either unique key): theirs is the stream.
      await ctx.db
        .insertInto('ssf_streams')
        .values({ id, client_id: clientId, created_at: now })
        .onConflict((oc) => oc.doNothing())
        .execute();
      const stream = await findStream(clientId);
      if (stream === undefined) {
        throw new Error('SSF stream vanished right after it was created');
      }
      return stream;
    },

    async listSsfStreamIds() {
      const rows = await ctx.db.selectFrom('ssf_streams').select('id').orderBy('id').execute();
      return rows.map((row) => row.id);
    },

    async queueSets(sets) {
      const rows = sets.map((set) => ({
        stream_id: set.streamId,
        jti: set.jti,
        payload: set.payload,
        created_at: set.createdAt,
        expires_at: set.expiresAt,
      }));
      if (rows.length === 0) {
        return;
      }
      try {
        await ctx.db.insertInto('ssf_sets').values(rows).execute();
        return;
      } catch (error) {
        if (!isForeignKeyViolation(error)) {
          throw error;
        }
      }
      // A stream was deleted with its client meanwhile: queue the others one by one, dropping its SET.
      for (const row of rows) {
        try {
          await ctx.db.insertInto('ssf_sets').values(row).execute();
        } catch (error) {
          if (!isForeignKeyViolation(error)) {
            throw error;
          }
        }
      }
    },

    async pendingSets(streamId, now, max) {
      if (max <= 0) {
        return { sets: [], more: false };
      }
      const rows = await ctx.db
        .selectFrom('ssf_sets')
        .selectAll()
        .where('stream_id', '=', streamId)
        .where('expires_at', '>', now)
        .orderBy('id')
        .limit(max + 1)
        .execute();
      return { sets: rows.slice(0, max).map(toSet), more: rows.length > max };
    },

    async removeSets(streamId, jtis) {
      if (jtis.length === 0) {
        return 0;
      }
      const result = await ctx.db
        .deleteFrom('ssf_sets')
        .where('stream_id', '=', streamId)
        .where('jti', 'in', [...jtis])
        .executeTakeFirst();
      return count(result.numDeletedRows);
    },

    async purgeExpiredSets(now, limit) {
      const result = await ctx.db
        .deleteFrom('ssf_sets')
        .where('expires_at', '<=', now)
        .$if(limit !== undefined, (query) =>
          query.where('id', 'in', (eb) =>
            eb
              .selectFrom('ssf_sets')
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
