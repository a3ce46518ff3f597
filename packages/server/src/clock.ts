/** Time as a port, so expiry tests never sleep (STYLE §9.5). */
export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
  /** Whole seconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  now: () => Math.floor(Date.now() / 1000),
};

/** A clock for tests: starts at `startSeconds` and moves only when told. */
export function createFixedClock(startSeconds: number): Clock & { advance(seconds: number): void } {
  let ms = startSeconds * 1000;
  return {
    nowMs: () => ms,
    now: () => Math.floor(ms / 1000),
    advance(seconds: number) {
      ms += seconds * 1000;
    },
  };
}
