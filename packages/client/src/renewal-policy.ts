/**
 * When to renew a cached access token: shortly before it expires, early by a fixed margin plus a
 * random jitter, so a fleet of instances started together does not renew in the same second, and
 * a request never leaves with a token that expires on the way.
 */

/**
 * Tuning of {@link renewalTimeOf}. Seconds.
 *
 * @example
 * ```ts
 * const policy: RenewalPolicy = { renewBefore: 60, jitter: 30, random: Math.random };
 * ```
 */
export interface RenewalPolicy {
  /** Renew this long before expiry (capped at half the token's lifetime). */
  renewBefore: number;
  /** Renew up to this much earlier still, at random (capped at a tenth of the lifetime). */
  jitter: number;
  /** A number in [0, 1); `Math.random` by default, fixed in tests. */
  random: () => number;
}

/**
 * Assumed lifetime (seconds) of a token whose response has no `expires_in` (RFC 6749 §5.1:
 * RECOMMENDED, so it may be missing).
 *
 * @example
 * ```ts
 * const lifetime = result.expires_in ?? DEFAULT_LIFETIME;
 * ```
 */
export const DEFAULT_LIFETIME = 60;

/**
 * The time (seconds since the epoch) at which a token obtained at `obtainedAt` with `expires_in` =
 * `lifetime` should be renewed.
 *
 * @example
 * ```ts
 * renewalTimeOf(1000, 600, { renewBefore: 60, jitter: 30, random: () => 0 }); // 1540
 * ```
 */
export function renewalTimeOf(obtainedAt: number, lifetime: number, policy: RenewalPolicy): number {
  const early = Math.min(policy.renewBefore, lifetime / 2);
  const jitter = Math.min(policy.jitter, lifetime / 10) * Math.min(Math.max(policy.random(), 0), 1);
  return obtainedAt + lifetime - early - jitter;
}
