/**
 * Time as an injectable port, in whole seconds like every time in Tessera. Tests pass a fixed
 * clock (Tessera's own test clock fits: it has `now()` in seconds) so expiry is tested without
 * sleeping.
 */

/**
 * A source of the current time in whole seconds since the epoch.
 *
 * @example
 * ```ts
 * let now = 1_700_000_000;
 * const clock: Clock = { now: () => now };
 * const client = createTokenClient({ issuer, clientId, clientSecret, clock });
 * now += 3600; // the cached token is now expired
 * ```
 */
export interface Clock {
  /** Whole seconds since the epoch. */
  now(): number;
}

/**
 * The system clock.
 *
 * @example
 * ```ts
 * const seconds = systemClock.now();
 * ```
 */
export const systemClock: Clock = { now: () => Math.floor(Date.now() / 1000) };
