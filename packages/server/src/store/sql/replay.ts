/** The replay cache: one-time keys (client-assertion `jti`s, DPoP proofs) kept until they expire. */
import type { ReplayStore } from '../ports.js';
import { batchLimit } from './batch-limit.js';
import { count, type SqlContext } from './context.js';

export function replayStore(ctx: SqlContext): ReplayStore {
  return {
    async markOnce(key, expiresAt, now) {
      // One statement, atomic by itself in both dialects: insert, or take over an expired entry.
      const row = await ctx.db
        .insertInto('replay_keys')
        .values({ key, expires_at: expiresAt })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({ expires_at: expiresAt }).where('replay_keys.expires_at', '<=', now),
        )
        .returning('key')
        .executeTakeFirst();
      return row !== undefined;
    },

    async purgeExpiredReplays(now, limit) {
      const result = await ctx.db
        .deleteFrom('replay_keys')
        .where('expires_at', '<=', now)
        .$if(limit !== undefined, (query) =>
          query.where('key', 'in', (eb) =>
            eb
              .selectFrom('replay_keys')
              .select('key')
              .where('expires_at', '<=', now)
              .limit(batchLimit(limit)),
          ),
        )
        .executeTakeFirst();
      return count(result.numDeletedRows);
    },
  };
}
