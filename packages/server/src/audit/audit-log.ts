/**
 * The audit trail: security-relevant events (client and key lifecycle, revocations, refresh-token
 * reuse, rejected verifications). Events are buffered and written in batches (one multi-row insert
 * per batch), so recording one never adds a database write to a request's hot path; `close()`
 * flushes what is left. Each event is also logged. Never put a secret in an event: use ids and
 * display starts.
 *
 * A failed write loses nothing: the events not yet written go back to the front of the buffer (in
 * order) and are retried with exponential backoff until the store answers again. The buffer is
 * bounded (`maxBuffered`); past the bound new events are dropped and counted, with one log line per
 * outage rather than one per event.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { AuditEvent, AuditStore } from '../store/ports.js';

export interface AuditLog {
  record(event: Omit<AuditEvent, 'at' | 'requestId'> & { requestId?: string | null }): void;
  /** Writes buffered events now (a failed write keeps them buffered for the next attempt). */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Events waiting to be written, and events dropped since start because the buffer was full. */
  stats(): { buffered: number; dropped: number };
}

export interface AuditLogDeps {
  store: AuditStore;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Milliseconds between batch writes (default 1000). */
  intervalMs?: number;
  /** Most events held while the store is failing (default 10 000). */
  maxBuffered?: number;
  /** Most events written in one statement (default 100). */
  batchSize?: number;
  /** First retry delay after a failed write, doubled per failure (default 1000 ms). */
  retryBaseMs?: number;
  /** Longest retry delay (default 60 000 ms). */
  retryMaxMs?: number;
  /** The admin token behind a request, to record instead of the generic `admin` actor. */
  actorOf?: (requestId: string) => string | undefined;
}

/** 100 rows × 6 columns: far below SQLite's and PostgreSQL's limits on bound parameters. */
const DEFAULT_BATCH_SIZE = 100;

export function createAuditLog(deps: AuditLogDeps): AuditLog {
  const maxBuffered = Math.max(1, deps.maxBuffered ?? 10_000);
  const batchSize = Math.max(1, deps.batchSize ?? DEFAULT_BATCH_SIZE);
  const retryBaseMs = deps.retryBaseMs ?? 1000;
  const retryMaxMs = deps.retryMaxMs ?? 60_000;
  let buffer: AuditEvent[] = [];
  /** Events taken out of `buffer` by a write in progress (they count against the bound). */
  let inFlight = 0;
  let flushing: Promise<void> = Promise.resolve();
  let dropped = 0;
  /** Set while the store is failing: consecutive failures and the earliest next attempt. */
  let failures = 0;
  let retryAt = 0;
  let droppingSince: number | undefined;

  /**
   * Writes `batch` in order, `batchSize` events a statement (one commit each, not one per event:
   * a sign-in records two); returns the events it could not write. A statement that fails wrote
   * none of its events, so the rest from its first event on is what goes back.
   */
  async function write(batch: AuditEvent[]): Promise<AuditEvent[]> {
    for (let i = 0; i < batch.length; i += batchSize) {
      try {
        await deps.store.appendAudits(batch.slice(i, i + batchSize));
      } catch (error) {
        failures += 1;
        const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(20, failures - 1));
        retryAt = Date.now() + delay;
        if (failures === 1) {
          deps.logger.error({ err: error, buffered: batch.length - i }, 'audit write failed; retrying');
        }
        return batch.slice(i);
      }
    }
    if (failures > 0) {
      deps.logger.info(
        { failures, dropped: droppingSince === undefined ? 0 : dropped - droppingSince },
        'audit writes resumed',
      );
      failures = 0;
      retryAt = 0;
    }
    return [];
  }

  function flush(options: { force?: boolean } = {}): Promise<void> {
    if (buffer.length === 0 || (!options.force && Date.now() < retryAt)) {
      return flushing;
    }
    flushing = flushing.then(async () => {
      if (buffer.length === 0) {
        return;
      }
      const batch = buffer;
      buffer = [];
      inFlight = batch.length;
      let left: AuditEvent[];
      try {
        left = await write(batch);
      } finally {
        inFlight = 0;
      }
      // Unwritten events go back in front of anything recorded meanwhile, keeping the order.
      buffer = left.length === 0 ? buffer : left.concat(buffer);
      if (left.length === 0 && buffer.length === 0) {
        droppingSince = undefined;
      }
    });
    return flushing;
  }

  const timer = setInterval(() => void flush(), deps.intervalMs ?? 1000).unref();

  return {
    record(event) {
      const requestId = event.requestId ?? null;
      const actor =
        event.actor === 'admin' && requestId !== null
          ? (deps.actorOf?.(requestId) ?? event.actor)
          : event.actor;
      const full: AuditEvent = { ...event, actor, at: deps.clock.now(), requestId };
      deps.logger.info({ audit: full }, full.type);
      if (buffer.length + inFlight >= maxBuffered) {
        if (droppingSince === undefined) {
          droppingSince = dropped;
          deps.logger.warn(
            { maxBuffered },
            'audit buffer full while the store is failing: new audit events are dropped (counted)',
          );
        }
        dropped += 1;
        return;
      }
      buffer.push(full);
    },
    flush: () => flush({ force: true }),
    async close() {
      clearInterval(timer);
      await flush({ force: true });
      if (buffer.length > 0) {
        deps.logger.error({ lost: buffer.length }, 'audit events could not be written before shutdown');
      }
    },
    stats() {
      return { buffered: buffer.length + inFlight, dropped };
    },
  };
}
