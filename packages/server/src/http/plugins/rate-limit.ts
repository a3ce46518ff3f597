/**
 * Fixed-window rate limits kept in memory (rate-limiter-flexible), per key (an IP, a client id).
 * Exceeding one is `rate_limited` (429) with `Retry-After` (RFC 6585 §4). In memory on purpose:
 * the check stays off the database on the hot path; with several nodes each enforces its own share.
 */
import { OAuthError } from '@tessera/protocol';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimiter {
  /** Counts one request for `key`, or throws `rate_limited` with the seconds to wait. */
  consume(key: string): Promise<void>;
}

export interface RateLimitOptions {
  /** Requests allowed per window; 0 turns the limit off. */
  limit: number;
  /** Window length in seconds. */
  window: number;
  /** What is limited, for the error description ("requests from this address"). */
  subject: string;
}

export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  if (options.limit <= 0) {
    return { consume: () => Promise.resolve() };
  }
  const limiter = new RateLimiterMemory({ points: options.limit, duration: Math.max(1, options.window) });
  return {
    async consume(key) {
      try {
        await limiter.consume(key, 1);
      } catch (error) {
        if (error instanceof RateLimiterRes) {
          throw OAuthError.rateLimited(`Too many ${options.subject}; retry later`, {
            retryAfter: Math.max(1, Math.ceil(error.msBeforeNext / 1000)),
          });
        }
        throw error;
      }
    },
  };
}
