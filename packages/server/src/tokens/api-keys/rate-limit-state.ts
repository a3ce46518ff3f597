/**
 * The `rate_limit` member of a verification answer: limit, remaining and seconds until there is
 * room again, computed from the counter the store's atomic upsert returned. For a sliding window
 * the previous window counts in proportion to its overlap, as the store counts it.
 */
import type { RateLimitSpec } from '../../store/ports.js';
import type { ApiKeyRateLimitState } from './api-key-verification.js';

export function rateLimitState(
  spec: RateLimitSpec,
  result: { count: number; previousCount: number; windowStart: number; allowed: boolean },
  now: number,
): ApiKeyRateLimitState {
  const windowEnd = result.windowStart + spec.window;
  let used = result.count;
  let reset = Math.max(1, windowEnd - now);
  if (spec.kind === 'sliding') {
    used += Math.floor((result.previousCount * (windowEnd - now)) / spec.window);
    const room = spec.limit - result.count;
    if (!result.allowed && room > 0 && result.previousCount > 0) {
      // The earliest second at which the weighted previous window leaves room for one more.
      const at = Math.floor(windowEnd - (room * spec.window) / result.previousCount) + 1;
      reset = Math.max(1, Math.min(reset, at - now));
    }
  }
  return {
    limit: spec.limit,
    remaining: result.allowed ? Math.max(0, spec.limit - used) : 0,
    reset,
    window: spec.window,
    kind: spec.kind,
  };
}
