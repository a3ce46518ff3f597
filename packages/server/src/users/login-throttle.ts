/**
 * Throttling of password guessing (DESIGN §7, OWASP Authentication Cheat Sheet "Login Throttling"):
 * failed logins are counted per username and per client IP; past a few free failures each further
 * one makes the next attempt wait, doubling every time up to a cap (exponential backoff rather than
 * a lockout an attacker could use to lock a person out for good). Unknown usernames are counted the
 * same way as known ones, so throttling reveals nothing about which accounts exist.
 *
 * Counters live in this process (rate-limiter-flexible's memory store); behind several nodes each
 * node counts its own, which still bounds guessing to nodes × the rate of one.
 */
import { RateLimiterMemory } from 'rate-limiter-flexible';

export interface LoginThrottle {
  /** Seconds to wait before the next attempt for this username or IP; 0 when one may try now. */
  retryAfter(username: string, ip: string): Promise<number>;
  recordFailure(username: string, ip: string): Promise<void>;
  /** A success clears the username's count (not the IP's: one good account must not unlock a spray). */
  recordSuccess(username: string): Promise<void>;
}

export interface LoginThrottleOptions {
  /** Failures per username before backoff starts (per IP: four times as many). */
  freeAttempts: number;
  /** Longest wait, seconds. */
  maxBackoff: number;
}

const WINDOW_SECONDS = 3600;
const IP_FACTOR = 4;

export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const failures = new RateLimiterMemory({
    keyPrefix: 'login-fail',
    points: 1_000_000,
    duration: WINDOW_SECONDS,
  });
  const blocked = new RateLimiterMemory({ keyPrefix: 'login-block', points: 1, duration: 1 });

  async function waitFor(key: string): Promise<number> {
    const res = await blocked.get(key);
    return res !== null && res.consumedPoints > 1 ? Math.ceil(res.msBeforeNext / 1000) : 0;
  }

  async function fail(key: string, free: number): Promise<void> {
    const res = await failures.penalty(key, 1);
    const over = res.consumedPoints - free;
    if (over >= 0) {
      await blocked.block(key, Math.min(2 ** over, options.maxBackoff));
    }
  }

  return {
    async retryAfter(username, ip) {
      return Math.max(await waitFor(`u:${username}`), await waitFor(`ip:${ip}`));
    },
    async recordFailure(username, ip) {
      await fail(`u:${username}`, options.freeAttempts);
      await fail(`ip:${ip}`, options.freeAttempts * IP_FACTOR);
    },
    async recordSuccess(username) {
      await failures.delete(`u:${username}`);
      await blocked.delete(`u:${username}`);
    },
  };
}
