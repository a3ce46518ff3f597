/**
 * Keeps a map at most `max` entries by dropping the one `smaller` ranks lowest (a count, a last-seen
 * time): the per-session and per-key memories of `session-usage.ts` and `key-usage.ts` stay bounded
 * whatever the traffic.
 */
export function bounded<K, V>(map: Map<K, V>, max: number, smaller: (a: V, b: V) => boolean): void {
  if (map.size <= max) {
    return;
  }
  let victim: K | undefined;
  let least: V | undefined;
  for (const [key, value] of map) {
    if (least === undefined || smaller(value, least)) {
      victim = key;
      least = value;
    }
  }
  map.delete(victim as K);
}

/**
 * How surprising a value never seen before is, given `uses` so far spread over `distinct` values:
 * ln((uses + 1) / (distinct + 1)). 50 uses on 2 endpoints make a third cost 2.8; a stream that roams
 * over many values pays little for one more.
 */
export function noveltySurprise(uses: number, distinct: number): number {
  return Math.log((uses + 1) / (distinct + 1));
}

/** A restored snapshot of a count map: `[key, count]` pairs with finite counts (anything else is refused). */
export function isPairList(value: unknown): value is [string, number][] {
  return (
    Array.isArray(value) &&
    value.every(
      (pair) =>
        Array.isArray(pair) &&
        pair.length === 2 &&
        typeof pair[0] === 'string' &&
        typeof pair[1] === 'number' &&
        Number.isFinite(pair[1]),
    )
  );
}
