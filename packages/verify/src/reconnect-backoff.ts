/**
 * The pause between two connections to the revocation stream: capped exponential backoff with
 * jitter, so a fleet of API servers does not reconnect in step, cut short by `wake()` on close.
 */
import { unref } from './unref.js';

/**
 * What {@link createReconnectBackoff} needs (milliseconds).
 *
 * @example
 * ```ts
 * const deps: ReconnectBackoffDeps = { minDelayMs: 250, maxDelayMs: 30_000 };
 * ```
 */
export interface ReconnectBackoffDeps {
  minDelayMs: number;
  maxDelayMs: number;
}

/**
 * The backoff.
 *
 * @example
 * ```ts
 * await backoff.wait(attempt); // attempt 0 waits 125–250 ms with the defaults
 * ```
 */
export interface ReconnectBackoff {
  /** Waits before reconnect number `attempt + 1` (0 after a connection that got in sync). */
  wait(attempt: number): Promise<void>;
  /** Ends the current wait at once. */
  wake(): void;
}

/**
 * Creates the backoff.
 *
 * @example
 * ```ts
 * const backoff = createReconnectBackoff({ minDelayMs: 250, maxDelayMs: 30_000 });
 * ```
 */
export function createReconnectBackoff(deps: ReconnectBackoffDeps): ReconnectBackoff {
  let wake: (() => void) | undefined;

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      unref(timer);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });
  }

  return {
    wait(attempt) {
      // Capped exponential backoff with jitter, so a fleet of API servers does not reconnect in step.
      const ceiling = Math.min(deps.maxDelayMs, deps.minDelayMs * 2 ** attempt);
      return sleep(ceiling / 2 + Math.random() * (ceiling / 2));
    },
    wake() {
      wake?.();
    },
  };
}
