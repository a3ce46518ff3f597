/**
 * One operation in flight per key: concurrent callers for the same key share one promise, so 100
 * callers that find the cache stale cause one token request, not 100.
 */

/**
 * A keyed single-flight gate.
 *
 * @example
 * ```ts
 * const flight = createSingleFlight<string, Token>();
 * const [a, b] = await Promise.all([flight.run('k', fetchToken), flight.run('k', fetchToken)]);
 * // fetchToken ran once; a === b
 * ```
 */
export interface SingleFlight<K, V> {
  /** Runs `task` unless one is already running for `key`, in which case joins it. */
  run(key: K, task: () => Promise<V>): Promise<V>;
  /** True while a task runs for `key`. */
  isRunning(key: K): boolean;
}

/**
 * Creates a {@link SingleFlight}.
 *
 * @example
 * ```ts
 * const refreshes = createSingleFlight<string, Tokens>();
 * await refreshes.run(sessionId, () => refreshSession(sessionId));
 * ```
 */
export function createSingleFlight<K, V>(): SingleFlight<K, V> {
  const running = new Map<K, Promise<V>>();
  return {
    run(key, task) {
      const current = running.get(key);
      if (current !== undefined) {
        return current;
      }
      const promise = (async () => {
        try {
          return await task();
        } finally {
          running.delete(key);
        }
      })();
      running.set(key, promise);
      return promise;
    },
    isRunning: (key) => running.has(key),
  };
}
