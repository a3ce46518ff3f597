/**
 * A decayed counter per key with a hard bound on keys: velocity (per IP, per ASN, per account) over
 * a sliding horizon. Counts halve every `halfLifeMs`; when the map is full, the oldest-touched key
 * goes (a Map iterates in insertion order and a touched key is re-inserted).
 */
export interface DecayedPair {
  failures: number;
  attempts: number;
  at: number;
}

export class DecayedCounter {
  readonly #entries = new Map<string, DecayedPair>();

  constructor(
    readonly halfLifeMs: number,
    readonly maxKeys: number,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** The counts as of `now` (zero for an unknown key). */
  read(key: string | undefined, now: number): { failures: number; attempts: number } {
    const entry = key === undefined ? undefined : this.#entries.get(key);
    if (entry === undefined) {
      return { failures: 0, attempts: 0 };
    }
    const factor = decay(now - entry.at, this.halfLifeMs);
    return { failures: entry.failures * factor, attempts: entry.attempts * factor };
  }

  add(key: string | undefined, now: number, failed: boolean): void {
    if (key === undefined) {
      return;
    }
    const current = this.read(key, now);
    this.#entries.delete(key);
    this.#entries.set(key, {
      failures: current.failures + (failed ? 1 : 0),
      attempts: current.attempts + 1,
      at: Math.max(now, this.#entries.get(key)?.at ?? 0),
    });
    if (this.#entries.size > this.maxKeys) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) {
        this.#entries.delete(oldest.value);
      }
    }
  }
}

/** 2^(−Δt / halfLife); events out of order (Δt < 0) do not grow counts. */
export function decay(elapsedMs: number, halfLifeMs: number): number {
  return elapsedMs <= 0 ? 1 : 2 ** (-elapsedMs / halfLifeMs);
}
