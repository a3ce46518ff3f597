/**
 * Throttling of password guessing (DESIGN §7, OWASP Authentication Cheat Sheet "Login Throttling"):
 * attempts are counted per username and per client IP; past a few free attempts each further one
 * makes the next wait, doubling every time up to a cap (exponential backoff rather than a lockout
 * an attacker could use to lock a person out for good). Unknown usernames are counted the same way
 * as known ones, so throttling reveals nothing about which accounts exist.
 *
 * The attempt is taken before the password is checked, atomically in the store (one statement
 * counts it and sets the wait): twenty guesses sent at once get the free attempts and no more. The
 * counters live in the database, so every `--workers` process and every node shares them.
 */
import type { Clock } from '../clock.js';
import type { AttemptStore } from '../store/ports.js';

export type LoginAttempt = { allowed: true } | { allowed: false; retryAfter: number };

export interface LoginThrottle {
  /**
   * Takes one attempt for this username and IP before the password is checked (the IP first: a
   * refused address costs the username nothing). Refused: nothing is counted.
   */
  take(username: string, ip: string): Promise<LoginAttempt>;
  /**
   * A success clears the username's count, and gives the IP back the attempt it took (not the
   * IP's earlier failures: one good account must not unlock a spray).
   */
  recordSuccess(username: string, ip: string): Promise<void>;
}

export interface LoginThrottleOptions {
  /** Attempts per username before backoff starts (per IP: four times as many). */
  freeAttempts: number;
  /** Longest wait, seconds. */
  maxBackoff: number;
}

export interface LoginThrottleDeps extends LoginThrottleOptions {
  store: AttemptStore;
  clock: Clock;
}

const WINDOW_SECONDS = 3600;
const IP_FACTOR = 4;

const userKey = (username: string) => `login:user:${username}`;
const ipKey = (ip: string) => `login:ip:${ip}`;

export function createLoginThrottle(deps: LoginThrottleDeps): LoginThrottle {
  const policy = { maxBackoff: deps.maxBackoff, window: WINDOW_SECONDS };

  return {
    async take(username, ip) {
      const now = deps.clock.now();
      const byIp = await deps.store.takeAttempt({
        key: ipKey(ip),
        now,
        freeAttempts: deps.freeAttempts * IP_FACTOR,
        ...policy,
      });
      if (!byIp.allowed) {
        return { allowed: false, retryAfter: byIp.retryAfter };
      }
      const byUser = await deps.store.takeAttempt({
        key: userKey(username),
        now,
        freeAttempts: deps.freeAttempts,
        ...policy,
      });
      return byUser.allowed ? { allowed: true } : { allowed: false, retryAfter: byUser.retryAfter };
    },
    async recordSuccess(username, ip) {
      await deps.store.clearAttempts(userKey(username));
      await deps.store.refundAttempt(ipKey(ip));
    },
  };
}
