/** The row count of one bounded purge batch: a positive whole number (garbage becomes 1). */
export function batchLimit(limit: number | undefined): number {
  return limit === undefined || !Number.isFinite(limit) ? 1 : Math.max(1, Math.floor(limit));
}
