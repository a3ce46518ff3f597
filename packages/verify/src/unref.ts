/**
 * Library timers must not keep the host process alive.
 */

/**
 * Lets a library timer not keep the process alive (Node); a no-op elsewhere.
 *
 * @example
 * ```ts
 * unref(setTimeout(retry, 1000));
 * ```
 */
export function unref(timer: ReturnType<typeof setTimeout>): void {
  const handle = timer as unknown as { unref?: () => void };
  handle.unref?.();
}
