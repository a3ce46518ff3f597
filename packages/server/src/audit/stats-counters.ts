/**
 * Usage counters for the console's charts (`GET /admin/stats`): tokens issued, API-key
 * verifications, introspections, revocations, rejections by error code, rate-limited calls and risk
 * decisions. Counting is one map update in memory, never a database write on a request's path; every
 * few seconds (and at shutdown) the counts are added to the store per minute, name and label, so the
 * counts of every node sum up in the same rows.
 *
 * A failed flush loses nothing: the counts go back into memory (added to what was counted
 * meanwhile) and are retried with exponential backoff. Memory is bounded: at most `maxKeys`
 * (minute, name, label) keys are held; past that, counts for new keys are dropped and counted, with
 * one log line per outage. Labels are short wire words (grant types, error codes, routes), never
 * secrets or people's ids.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { StatCount, StatsStore } from '../store/ports.js';

/** What is counted, and what each one's label is. */
export const STAT_NAMES = [
  /** label: the grant type */
  'tokens_issued',
  /** label: `valid`, or the reason the key is not (`revoked`, `expired`, `rate_limited`, …) */
  'api_key_verifications',
  /** label: the HTTP status of the `/introspect` answer */
  'introspections',
  /** label: what was revoked (`jti`, `family`, `session`, `client`, `subject`, `api_key`, `key`, …) */
  'revocations',
  /** label: the error code (RFC 6749 §5.2, RFC 6750 §3.1, …) of an error answer */
  'rejections',
  /** label: the route that answered 429 */
  'rate_limited',
  /** label: `allow`, `step_up` or `deny` */
  'risk_decisions',
] as const;

export type StatName = (typeof STAT_NAMES)[number];

/** Rows older than this are purged by the maintenance job: the longest range (a week) plus a day. */
export const STATS_RETENTION_SECONDS = 8 * 86_400;

const MAX_LABEL = 64;

export interface StatsCounters {
  /** Counts one `name` with `label` in the current minute (memory only). */
  add(name: StatName, label: string): void;
  /** Adds what was counted to the store now (a failed write keeps the counts for the next try). */
  flush(): Promise<void>;
  /** Stops the timer and flushes. */
  close(): Promise<void>;
  /** Keys held (counted, not yet written) and counts dropped because the bound was reached. */
  state(): { held: number; dropped: number };
}

export interface StatsCountersDeps {
  store: Pick<StatsStore, 'addStatCounts'>;
  clock: Pick<Clock, 'now'>;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Milliseconds between flushes (default 5000); 0 flushes only when asked. */
  intervalMs?: number;
  /** Most (minute, name, label) keys held while the store is failing (default 10 000). */
  maxKeys?: number;
  /** First retry delay after a failed flush, doubled per failure (default 1000 ms). */
  retryBaseMs?: number;
  /** Longest retry delay (default 60 000 ms). */
  retryMaxMs?: number;
}

/** minute → name → label → count (nested maps: counting allocates nothing). */
type Counts = Map<number, Map<string, Map<string, number>>>;

export function createStatsCounters(deps: StatsCountersDeps): StatsCounters {
  const maxKeys = Math.max(1, deps.maxKeys ?? 10_000);
  const retryBaseMs = deps.retryBaseMs ?? 1000;
  const retryMaxMs = deps.retryMaxMs ?? 60_000;
  let counts: Counts = new Map();
  let held = 0;
  /** Keys taken out by a flush in progress (they count against the bound). */
  let inFlight = 0;
  let dropped = 0;
  let droppingSince: number | undefined;
  let failures = 0;
  let retryAt = 0;
  let flushing: Promise<void> = Promise.resolve();

  /**
   * Adds `n` under (minute, name, label); false when that needs a new key past the bound. Counts
   * coming back from a failed flush are not `bounded`: their keys were already counted against it.
   */
  function addTo(minute: number, name: string, label: string, n: number, bounded: boolean): boolean {
    let byName = counts.get(minute);
    let byLabel = byName?.get(name);
    const seen = byLabel?.get(label);
    if (seen !== undefined && byLabel !== undefined) {
      byLabel.set(label, seen + n);
      return true;
    }
    if (bounded && held + inFlight >= maxKeys) {
      return false;
    }
    if (byName === undefined) {
      byName = new Map();
      counts.set(minute, byName);
    }
    if (byLabel === undefined) {
      byLabel = new Map();
      byName.set(name, byLabel);
    }
    byLabel.set(label, n);
    held += 1;
    return true;
  }

  function rowsOf(taken: Counts): StatCount[] {
    const rows: StatCount[] = [];
    for (const [bucket, byName] of taken) {
      for (const [name, byLabel] of byName) {
        for (const [label, count] of byLabel) {
          rows.push({ bucket, name, label, count });
        }
      }
    }
    return rows;
  }

  function flush(options: { force?: boolean } = {}): Promise<void> {
    if (held === 0 || (!options.force && Date.now() < retryAt)) {
      return flushing;
    }
    flushing = flushing.then(async () => {
      if (held === 0) {
        return;
      }
      const taken = counts;
      inFlight = held;
      counts = new Map();
      held = 0;
      try {
        await deps.store.addStatCounts(rowsOf(taken));
        if (failures > 0) {
          deps.logger.info(
            { failures, dropped: droppingSince === undefined ? 0 : dropped - droppingSince },
            'stats counter writes resumed',
          );
        }
        failures = 0;
        retryAt = 0;
        droppingSince = undefined;
        inFlight = 0;
      } catch (error) {
        failures += 1;
        retryAt = Date.now() + Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(20, failures - 1));
        if (failures === 1) {
          deps.logger.error({ err: error }, 'stats counter write failed; retrying');
        }
        // Back into memory, added to what was counted meanwhile: nothing taken is dropped.
        inFlight = 0;
        for (const row of rowsOf(taken)) {
          addTo(row.bucket, row.name, row.label, row.count, false);
        }
      }
    });
    return flushing;
  }

  const intervalMs = deps.intervalMs ?? 5000;
  const timer = intervalMs > 0 ? setInterval(() => void flush(), intervalMs).unref() : undefined;

  return {
    add(name, label) {
      const now = deps.clock.now();
      const cut = label.length > MAX_LABEL ? label.slice(0, MAX_LABEL) : label;
      if (!addTo(now - (now % 60), name, cut, 1, true)) {
        if (droppingSince === undefined) {
          droppingSince = dropped;
          deps.logger.warn(
            { maxKeys },
            'stats counters full while the store is failing: new counts are dropped',
          );
        }
        dropped += 1;
      }
    },
    flush: () => flush({ force: true }),
    async close() {
      if (timer !== undefined) {
        clearInterval(timer);
      }
      await flush({ force: true });
      if (held > 0) {
        deps.logger.error({ lost: held }, 'stats counts could not be written before shutdown');
      }
    },
    state: () => ({ held: held + inFlight, dropped }),
  };
}
