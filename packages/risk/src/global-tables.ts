/**
 * Everything the engine learns about everyone (novelty rates, UA counts, per-ASN statistics, known
 * /24s, …) as one table of named **sums**: every update adds a number to a key, so the state of
 * several nodes is the sum of what each learned. A node drains what it added since the last drain
 * ({@link GlobalTables.take}), a store adds it to its rows, and every node loads the rows' sums
 * ({@link GlobalTables.apply}): they converge to the same tables.
 *
 * Keys are `kind:name` or `kind:name:id…`:
 * - `c:…`: a plain count or sum;
 * - `d<days>:…` / `h<hours>:…`: decayed with a half-life of that many days or hours (the hours are
 *   the velocity counters, engine.ts). A decayed sum is kept as
 *   Σ 2^((t − era start) / half-life) in the era of `t` (eras of 256 half-lives, named by a
 *   `@<era>` suffix), which is additive whatever the order of the events; its value at `now` is
 *   read from the current and the previous era (older ones weigh less than 2⁻²⁵⁶).
 *
 * A key with one colon is a scalar (a handful of totals, never evicted); a longer one is keyed by
 * an ASN, a UA hash, a country, …, and those are capped in number (least recently added goes).
 */

export interface GlobalTablesOptions {
  /** Keyed entries kept (least recently added goes). */
  readonly maxKeys: number;
  /**
   * Keys for which this returns true are handed over instead of kept (the engine keeps the known
   * /24s in a fixed table of hashes); called with the key and its new total.
   */
  readonly sink?: (key: string, total: number) => boolean;
  /**
   * False: what is added is not kept for {@link GlobalTables.take} (a table no store drains, whose
   * pending delta would otherwise grow without bound). Default true.
   */
  readonly shared?: boolean;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Half-lives per era: a sum of one era stays below 2²⁵⁶ per event. */
const ERA_HALF_LIVES = 256;

/** The half-life of a `d<days>:` or `h<hours>:` key in ms, or 0 for any other key. */
function halfLifeOf(key: string): number {
  const kind = key.charCodeAt(0);
  const unit = kind === 100 /* d */ ? DAY_MS : kind === 104 /* h */ ? HOUR_MS : 0;
  if (unit === 0) {
    return 0;
  }
  const count = Number.parseInt(key.slice(1, key.indexOf(':')), 10);
  return Number.isFinite(count) && count > 0 ? count * unit : 0;
}

function familyOf(key: string): string | undefined {
  const first = key.indexOf(':');
  const last = key.lastIndexOf(':');
  return first === last ? undefined : key.slice(0, last);
}

export class GlobalTables {
  readonly #scalars = new Map<string, number>();
  readonly #keyed = new Map<string, number>();
  readonly #families = new Map<string, number>();
  #pending = new Map<string, number>();
  readonly #options: GlobalTablesOptions;

  constructor(options: GlobalTablesOptions) {
    this.#options = options;
  }

  /** A plain sum (0 when absent). */
  get(key: string): number {
    return this.#scalars.get(key) ?? this.#keyed.get(key) ?? 0;
  }

  /** Keyed entries of a family (`d30:asnLegit`, …) currently held. */
  familySize(family: string): number {
    return this.#families.get(family) ?? 0;
  }

  /** A decayed sum's value at `now` (`key` names it without its era). */
  decayed(key: string, now: number): number {
    const halfLife = halfLifeOf(key);
    const eraMs = halfLife * ERA_HALF_LIVES;
    const era = Math.floor(now / eraMs);
    let value = 0;
    for (const e of [era, era - 1]) {
      const sum = this.get(`${key}@${e}`);
      if (sum !== 0) {
        value += sum * 2 ** ((e * eraMs - now) / halfLife);
      }
    }
    return value;
  }

  /** Adds `amount` to a plain sum. */
  add(key: string, amount: number): void {
    if (amount === 0 || !Number.isFinite(amount)) {
      return;
    }
    if (this.#options.shared !== false) {
      this.#pending.set(key, (this.#pending.get(key) ?? 0) + amount);
    }
    this.#write(key, this.get(key) + amount);
  }

  /** Adds `amount` observed at `at` to a decayed sum (`key` names it without its era). */
  addDecayed(key: string, amount: number, at: number): void {
    const halfLife = halfLifeOf(key);
    const eraMs = halfLife * ERA_HALF_LIVES;
    const era = Math.floor(at / eraMs);
    this.add(`${key}@${era}`, amount * 2 ** ((at - era * eraMs) / halfLife));
  }

  /** What this node added since the last call (and forgets it). */
  take(): Record<string, number> {
    const delta = Object.fromEntries(this.#pending);
    this.#pending = new Map();
    return delta;
  }

  /** Gives back a delta that could not be stored: it is sent again with the next one. */
  restore(delta: Readonly<Record<string, number>>): void {
    for (const [key, amount] of Object.entries(delta)) {
      if (Number.isFinite(amount)) {
        this.#pending.set(key, (this.#pending.get(key) ?? 0) + amount);
      }
    }
  }

  /**
   * Loads sums from the store: each named key becomes that sum plus what this node has added and
   * not yet drained. Keys not named keep their value (a load may be partial: the rows changed lately).
   */
  apply(sums: Readonly<Record<string, number>>): void {
    for (const [key, sum] of Object.entries(sums)) {
      if (Number.isFinite(sum)) {
        this.#write(key, sum + (this.#pending.get(key) ?? 0));
      }
    }
  }

  #write(key: string, total: number): void {
    if (this.#options.sink?.(key, total) === true) {
      return;
    }
    const family = familyOf(key);
    if (family === undefined) {
      this.#scalars.set(key, total);
      return;
    }
    if (this.#keyed.delete(key) === false) {
      this.#families.set(family, (this.#families.get(family) ?? 0) + 1);
    }
    this.#keyed.set(key, total);
    if (this.#keyed.size > this.#options.maxKeys) {
      const oldest = this.#keyed.keys().next();
      if (oldest.done !== true) {
        this.#keyed.delete(oldest.value);
        const oldFamily = familyOf(oldest.value) ?? '';
        this.#families.set(oldFamily, (this.#families.get(oldFamily) ?? 1) - 1);
      }
    }
  }
}
