/**
 * Rate-limit counters: one conditional upsert per counted request, atomic by itself in both
 * dialects, so concurrent requests on any number of nodes never count past the limit and a refused
 * request is never counted.
 */
import type { RateLimitRequest, RateLimitResult, RateLimitStore } from '../ports.js';
import { batchLimit } from './batch-limit.js';
import { count, type SqlContext } from './context.js';

/** How many requests the current window may still take, given the previous window's count. */
function allowanceOf(request: RateLimitRequest, windowStart: number, previousCount: number): number {
  if (request.kind === 'fixed') {
    return request.limit;
  }
  // Sliding window: the previous window still weighs by the share of it inside [now - window, now).
  const weight = (windowStart + request.window - request.now) / request.window;
  return request.limit - Math.floor(previousCount * weight);
}

export function rateLimitStore(ctx: SqlContext): RateLimitStore {
  async function readCount(key: string, windowStart: number): Promise<number> {
    const row = await ctx.db
      .selectFrom('rate_limits')
      .select('count')
      .where('key', '=', key)
      .where('window_start', '=', windowStart)
      .executeTakeFirst();
    return row === undefined ? 0 : Number(row.count);
  }

  return {
    async consumeRateLimit(request): Promise<RateLimitResult> {
      if (
        !Number.isInteger(request.window) ||
        request.window < 1 ||
        !Number.isInteger(request.limit) ||
        request.limit < 1
      ) {
        throw new RangeError('rate limit needs a positive integer limit and window');
      }
      const windowStart = Math.floor(request.now / request.window) * request.window;
      // The previous window is closed: a plain read is enough for the sliding weight.
      const previousCount =
        request.kind === 'sliding' ? await readCount(request.key, windowStart - request.window) : 0;
      const allowance = allowanceOf(request, windowStart, previousCount);
      if (allowance <= 0) {
        return {
          allowed: false,
          count: await readCount(request.key, windowStart),
          previousCount,
          windowStart,
        };
      }
      const row = await ctx.db
        .insertInto('rate_limits')
        .values({
          key: request.key,
          window_start: windowStart,
          count: 1,
          expires_at: windowStart + 2 * request.window,
        })
        .onConflict((oc) =>
          oc
            .columns(['key', 'window_start'])
            .doUpdateSet((eb) => ({ count: eb('rate_limits.count', '+', 1) }))
            .where('rate_limits.count', '<', allowance),
        )
        .returning('count')
        .executeTakeFirst();
      if (row === undefined) {
        return {
          allowed: false,
          count: await readCount(request.key, windowStart),
          previousCount,
          windowStart,
        };
      }
      return { allowed: true, count: Number(row.count), previousCount, windowStart };
    },

    async purgeExpiredRateLimits(now, limit) {
      const result = await ctx.db
        .deleteFrom('rate_limits')
        .where('expires_at', '<=', now)
        .$if(limit !== undefined, (query) =>
          query.where((eb) =>
            eb(
              eb.refTuple('key', 'window_start'),
              'in',
              eb
                .selectFrom('rate_limits')
                .select(['key', 'window_start'])
                .where('expires_at', '<=', now)
                .limit(batchLimit(limit))
                .$asTuple('key', 'window_start'),
            ),
          ),
        )
        .executeTakeFirst();
      return count(result.numDeletedRows);
    },
  };
}
