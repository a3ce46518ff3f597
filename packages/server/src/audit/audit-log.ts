/**
 * The audit trail: security-relevant events (client and key lifecycle, revocations, refresh-token
 * reuse, rejected verifications). Events are buffered and written in batches, so recording one
 * never adds a database write to a request's hot path; `close()` flushes what is left. Each event
 * is also logged. Never put a secret in an event: use ids and display starts.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { AuditEvent, AuditStore } from '../store/ports.js';

export interface AuditLog {
  record(event: Omit<AuditEvent, 'at' | 'requestId'> & { requestId?: string | null }): void;
  /** Writes buffered events now. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface AuditLogDeps {
  store: AuditStore;
  clock: Clock;
  logger: Logger;
  /** Milliseconds between batch writes (default 1000). */
  intervalMs?: number;
  /** The admin token behind a request, to record instead of the generic `admin` actor. */
  actorOf?: (requestId: string) => string | undefined;
}

export function createAuditLog(deps: AuditLogDeps): AuditLog {
  let buffer: AuditEvent[] = [];
  let flushing: Promise<void> = Promise.resolve();

  async function write(batch: AuditEvent[]): Promise<void> {
    for (const event of batch) {
      await deps.store.appendAudit(event);
    }
  }

  function flush(): Promise<void> {
    if (buffer.length === 0) {
      return flushing;
    }
    const batch = buffer;
    buffer = [];
    flushing = flushing
      .then(() => write(batch))
      .catch((error: unknown) => deps.logger.error({ err: error, lost: batch.length }, 'audit write failed'));
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
      buffer.push(full);
      deps.logger.info({ audit: full }, full.type);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
