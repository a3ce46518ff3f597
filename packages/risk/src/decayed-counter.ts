/** 2^(−Δt / halfLife); events out of order (Δt < 0) do not grow counts. */
export function decay(elapsedMs: number, halfLifeMs: number): number {
  return elapsedMs <= 0 ? 1 : 2 ** (-elapsedMs / halfLifeMs);
}
