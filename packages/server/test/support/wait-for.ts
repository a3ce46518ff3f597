/**
 * Waiting for an event in a test without a timed assertion: poll the condition on the event loop
 * and fail only when it never holds within a bound far above any normal run (a hang, not a slow
 * machine). How long it took is a figure to print, never something to assert.
 */

export interface WaitForOptions<T> {
  /** What is awaited, for the hang message. */
  what: string;
  /** Accepts the probed value; by default any truthy value. */
  until?: (value: T) => boolean;
  /** The hang bound: only a run stuck this long fails. */
  timeoutMs?: number;
  /** Pause between probes. */
  intervalMs?: number;
}

/** A hang bound below vitest's 20 s test timeout, so a hang fails with its own message. */
export const HANG_MS = 15_000;

/**
 * Probes until `until(value)` holds and returns that value with the time it took.
 *
 * @example
 * const { value: answer, ms } = await waitFor(() => verify(b, key), {
 *   what: 'node B refuses the revoked key',
 *   until: (answer) => answer.body.valid === false,
 * });
 * console.info(`[figures] revocation reached node B in ${ms} ms`);
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  options: WaitForOptions<T>,
): Promise<{ value: T; ms: number }> {
  const { what, until = Boolean, timeoutMs = HANG_MS, intervalMs = 10 } = options;
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (until(value)) {
      return { value, ms: Date.now() - started };
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
