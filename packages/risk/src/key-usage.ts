/**
 * API-key usage profiles (docs/api-keys.md, "Anomalies"): each key's own past — the networks (ASN)
 * and countries it was used from, the endpoints it was used on, and its rate — against which a new
 * use is judged. Pure and synchronous: `assess` reads, `learn` adds the use; the caller decides
 * between them (a use that is refused is not learned, so a refused network stays new).
 *
 * - A **learning period** comes first: until a key has `learningUses` uses *and* is `learningMs` old,
 *   nothing is anomalous, everything is learned.
 * - `new_asn`, `new_country`, `new_endpoint`: a value the key was never seen with, weighted as in
 *   the session usage scorer (`noveltySurprise`): only when the key is settled on few values
 *   (surprise ≥ ln 10: about ten uses per value seen), so a key that roams over many networks or
 *   endpoints is not flagged for one more.
 * - `rate`: the key's current rate (a count decayed with a one-minute half-life, in uses per
 *   minute) beyond `rateTolerance` (default {@link RATE_TOLERANCE}, the session scorer's) times the
 *   highest rate the key itself has shown before the current minute (decayed with a 7-day
 *   half-life, so a nightly batch job's burst is its own normal), and at least `minRate` per
 *   minute. The current minute joins that baseline only when it is over and was learned: a burst
 *   that is let through is flagged for a minute, then it is the key's pace; one that is refused
 *   stays anomalous until it slows down.
 *
 * Memory is bounded: at most `maxKeys` profiles (least recently used forgotten), per key at most
 * `maxValues` ASNs, countries and endpoints (least recently seen dropped). A profile exports to a
 * small JSON-safe snapshot so the server can keep it with the key and reload it after a restart.
 */
import { bounded, isPairList, noveltySurprise } from './bounded-map.js';
import { decay } from './decayed-counter.js';
import { RATE_TOLERANCE } from './session-usage.js';

export type KeyAnomalyKind = 'new_asn' | 'new_country' | 'rate' | 'new_endpoint';

export interface KeyUse {
  /** The key's id. */
  key: string;
  /** Milliseconds since the epoch. */
  at: number;
  /** The caller's network (autonomous system number), when known. */
  asn?: string | undefined;
  /** The caller's country (ISO 3166-1 alpha-2), when known. */
  country?: string | undefined;
  /** The endpoint used, a route pattern such as `GET /orders/:id`, when known. */
  endpoint?: string | undefined;
}

export interface KeyAnomaly {
  kind: KeyAnomalyKind;
  /** The new ASN, country or endpoint; for `rate`, the current rate per minute (rounded). */
  value: string;
  /** For `rate`: the key's own highest rate per minute it was judged against (rounded). */
  baseline?: number;
}

export interface KeyProfileSnapshot {
  v: 1;
  firstAt: number;
  uses: number;
  /** Value → last seen (ms). */
  asns: [string, number][];
  countries: [string, number][];
  endpoints: [string, number][];
  /** The decayed use count (one-minute half-life) and when it was last updated. */
  burst: number;
  burstAt: number;
  /** The key's decayed highest rate per minute before `windowStart`, and when it was updated. */
  peak: number;
  peakAt: number;
  /** The minute being learned: when it started and its highest rate so far. */
  windowStart: number;
  windowPeak: number;
}

export interface KeyUsageProfilerOptions {
  /** Profiles remembered (least recently used forgotten first). Default 100 000. */
  maxKeys?: number;
  /** ASNs, countries and endpoints remembered per key, each. Default 32. */
  maxValues?: number;
  /** Uses a key must have before anything is judged. Default 100. */
  learningUses?: number;
  /** Age (ms since the first use) a key must reach before anything is judged. Default 24 h. */
  learningMs?: number;
  /** A rate up to this multiple of the key's own highest costs nothing. Default 10. */
  rateTolerance?: number;
  /** A rate below this many uses per minute is never anomalous. Default 10. */
  minRate?: number;
}

export interface KeyUsageProfiler {
  /** The anomalies of a use against its key's past (none while learning); changes nothing. */
  assess(use: KeyUse): KeyAnomaly[];
  /** Adds the use to its key's past. */
  learn(use: KeyUse): void;
  /** The key's profile as a JSON-safe snapshot, or undefined when this profiler has none. */
  snapshot(key: string): KeyProfileSnapshot | undefined;
  /** Takes a stored snapshot for a key this profiler does not know (a malformed one is ignored). */
  restore(key: string, snapshot: unknown): void;
  has(key: string): boolean;
  forget(key: string): void;
  readonly size: number;
}

const MINUTE = 60_000;
const BURST_HALF_LIFE = MINUTE;
const PEAK_HALF_LIFE = 7 * 86_400_000;
/** ln 10: a new value is anomalous only for a key with about ten uses per value it has shown. */
const SETTLED = Math.log(10);

interface KeyState {
  firstAt: number;
  uses: number;
  asns: Map<string, number>;
  countries: Map<string, number>;
  endpoints: Map<string, number>;
  burst: number;
  burstAt: number;
  peak: number;
  peakAt: number;
  windowStart: number;
  windowPeak: number;
}

/** Uses per minute of a count decayed with a one-minute half-life (steady state: rate / ln 2). */
function perMinute(burst: number): number {
  return burst * Math.LN2;
}

function burstAt(state: KeyState, at: number): number {
  return state.burst * decay(at - state.burstAt, BURST_HALF_LIFE) + 1;
}

/** The key's own highest rate at `at`: the decayed peak, with the last minute once it is over. */
function peakAt(state: KeyState, at: number): number {
  const peak = state.peak * decay(at - state.peakAt, PEAK_HALF_LIFE);
  return at - state.windowStart >= MINUTE ? Math.max(peak, state.windowPeak) : peak;
}

function isSnapshot(value: unknown): value is KeyProfileSnapshot {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const s = value as Record<string, unknown>;
  return (
    s.v === 1 &&
    ['firstAt', 'uses', 'burst', 'burstAt', 'peak', 'peakAt', 'windowStart', 'windowPeak'].every(
      (name) => typeof s[name] === 'number' && Number.isFinite(s[name]),
    ) &&
    isPairList(s.asns) &&
    isPairList(s.countries) &&
    isPairList(s.endpoints)
  );
}

export function createKeyUsageProfiler(options: KeyUsageProfilerOptions = {}): KeyUsageProfiler {
  const maxKeys = options.maxKeys ?? 100_000;
  const maxValues = options.maxValues ?? 32;
  const learningUses = options.learningUses ?? 100;
  const learningMs = options.learningMs ?? 86_400_000;
  const tolerance = options.rateTolerance ?? RATE_TOLERANCE;
  const minRate = options.minRate ?? 10;
  const keys = new Map<string, KeyState>();

  function touch(key: string, state: KeyState): void {
    // Map order is insertion order: re-inserting makes it the most recently used.
    keys.delete(key);
    keys.set(key, state);
    if (keys.size > maxKeys) {
      keys.delete(keys.keys().next().value as string);
    }
  }

  function novel(state: KeyState, values: Map<string, number>, value: string | undefined): boolean {
    return value !== undefined && !values.has(value) && noveltySurprise(state.uses, values.size) >= SETTLED;
  }

  function remember(values: Map<string, number>, value: string | undefined, at: number): void {
    if (value !== undefined) {
      values.set(value, Math.max(at, values.get(value) ?? 0));
      bounded(values, maxValues, (a, b) => a < b);
    }
  }

  return {
    assess(use) {
      const state = keys.get(use.key);
      if (state === undefined || state.uses < learningUses || use.at - state.firstAt < learningMs) {
        return [];
      }
      const anomalies: KeyAnomaly[] = [];
      if (novel(state, state.asns, use.asn)) {
        anomalies.push({ kind: 'new_asn', value: use.asn as string });
      }
      if (novel(state, state.countries, use.country)) {
        anomalies.push({ kind: 'new_country', value: use.country as string });
      }
      const rate = perMinute(burstAt(state, use.at));
      const peak = peakAt(state, use.at);
      if (rate >= minRate && rate > tolerance * peak) {
        anomalies.push({
          kind: 'rate',
          value: String(Math.round(rate)),
          baseline: Math.round(peak * 10) / 10,
        });
      }
      if (novel(state, state.endpoints, use.endpoint)) {
        anomalies.push({ kind: 'new_endpoint', value: use.endpoint as string });
      }
      return anomalies;
    },

    learn(use) {
      const state: KeyState = keys.get(use.key) ?? {
        firstAt: use.at,
        uses: 0,
        asns: new Map(),
        countries: new Map(),
        endpoints: new Map(),
        burst: 0,
        burstAt: use.at,
        peak: 0,
        peakAt: use.at,
        windowStart: use.at,
        windowPeak: 0,
      };
      touch(use.key, state);
      if (use.at - state.windowStart >= MINUTE) {
        state.peak = peakAt(state, use.at);
        state.peakAt = use.at;
        state.windowStart = use.at;
        state.windowPeak = 0;
      }
      state.uses += 1;
      state.burst = burstAt(state, use.at);
      state.burstAt = Math.max(state.burstAt, use.at);
      state.windowPeak = Math.max(state.windowPeak, perMinute(state.burst));
      remember(state.asns, use.asn, use.at);
      remember(state.countries, use.country, use.at);
      remember(state.endpoints, use.endpoint, use.at);
    },

    snapshot(key) {
      const state = keys.get(key);
      if (state === undefined) {
        return undefined;
      }
      return {
        v: 1,
        firstAt: state.firstAt,
        uses: state.uses,
        asns: [...state.asns],
        countries: [...state.countries],
        endpoints: [...state.endpoints],
        burst: state.burst,
        burstAt: state.burstAt,
        peak: state.peak,
        peakAt: state.peakAt,
        windowStart: state.windowStart,
        windowPeak: state.windowPeak,
      };
    },

    restore(key, snapshot) {
      if (keys.has(key) || !isSnapshot(snapshot)) {
        return;
      }
      const cap = (pairs: [string, number][]) => new Map(pairs.slice(-maxValues));
      touch(key, {
        firstAt: snapshot.firstAt,
        uses: snapshot.uses,
        asns: cap(snapshot.asns),
        countries: cap(snapshot.countries),
        endpoints: cap(snapshot.endpoints),
        burst: snapshot.burst,
        burstAt: snapshot.burstAt,
        peak: snapshot.peak,
        peakAt: snapshot.peakAt,
        windowStart: snapshot.windowStart,
        windowPeak: snapshot.windowPeak,
      });
    },

    has: (key) => keys.has(key),
    forget(key) {
      keys.delete(key);
    },
    get size() {
      return keys.size;
    },
  };
}
