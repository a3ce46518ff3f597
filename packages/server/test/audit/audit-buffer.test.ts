/**
 * Audit events survive a failing store (issue 20 item 7): events whose write fails stay buffered,
 * in order, and land once the store answers again; the buffer is bounded, with a dropped count
 * and one log line when the bound is hit. The store is a real SQLite database whose audit insert
 * is made to throw for a while (fault injection on a real store, not a mock).
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type AuditLog, createAuditLog } from '../../src/audit/audit-log.js';
import { createFixedClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/ports.js';
import { waitFor } from '../support/wait-for.js';

interface Faulty {
  store: Store;
  /** While true, appendAudits throws as a lost database would… */
  failing: boolean;
  /** …after this many more writes (statements) succeed. */
  okWrites: number;
  attempts: number;
  /** Events per statement, in order. */
  statements: number[];
}

async function faultyStore(): Promise<Faulty> {
  const real = await openStore(':memory:');
  await real.migrate();
  const faulty: Faulty = { store: real, failing: false, okWrites: 0, attempts: 0, statements: [] };
  faulty.store = new Proxy(real, {
    get(target, property, receiver) {
      if (property === 'appendAudits') {
        return async (events: Parameters<Store['appendAudits']>[0]) => {
          faulty.attempts += 1;
          if (faulty.failing && faulty.okWrites-- <= 0) {
            throw new Error('SQLITE_IOERR: disk I/O error (injected)');
          }
          faulty.statements.push(events.length);
          return target.appendAudits(events);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
  return faulty;
}

function captureLog(): {
  lines: Array<{ level: number; msg: string }>;
  logger: ReturnType<typeof createLogger>;
} {
  const lines: Array<{ level: number; msg: string }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() !== '') {
          lines.push(JSON.parse(line));
        }
      }
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

/** The bound only catches a hang; the retries below run every few milliseconds. */
async function until(condition: () => boolean): Promise<void> {
  await waitFor(condition, { what: 'the audit buffer to flush', intervalMs: 5 });
}

const clock = createFixedClock(1_800_000_000);
let faulty: Faulty | undefined;
let audit: AuditLog | undefined;
afterEach(async () => {
  await audit?.close();
  await faulty?.store.close();
  audit = undefined;
  faulty = undefined;
});

describe('audit buffering', () => {
  it('issue 20 item 7 — events whose write fails are retried with backoff and all land, in order, when the store returns', async () => {
    faulty = await faultyStore();
    const { logger, lines } = captureLog();
    audit = createAuditLog({
      store: faulty.store,
      clock,
      logger,
      intervalMs: 5,
      retryBaseMs: 5,
      retryMaxMs: 20,
    });
    faulty.failing = true;
    for (let i = 0; i < 40; i++) {
      audit.record({ type: 'client.updated', actor: 'admin', subject: `cli_${i}`, data: { i } });
    }
    await audit.flush();
    expect(audit.stats()).toEqual({ buffered: 40, dropped: 0 });
    // Let several retries fail: still nothing lost, and one error line for the outage, not one per try.
    const before = faulty.attempts;
    await until(() => (faulty?.attempts ?? 0) >= before + 3);
    expect(audit.stats().buffered).toBe(40);
    expect(lines.filter((line) => line.msg === 'audit write failed; retrying')).toHaveLength(1);

    faulty.failing = false;
    await until(() => audit?.stats().buffered === 0);
    const page = await faulty.store.listAudit({ type: 'client.updated', limit: 100 });
    expect(page.items.map((event) => event.data.i).reverse()).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
    expect(lines.some((line) => line.msg === 'audit writes resumed')).toBe(true);
  });

  it('a flush writes what is buffered in one statement per batchSize events, in order', async () => {
    faulty = await faultyStore();
    audit = createAuditLog({ store: faulty.store, clock, logger: captureLog().logger, intervalMs: 60_000 });
    for (let i = 0; i < 150; i++) {
      audit.record({ type: 'login.succeeded', actor: 'usr_1', subject: `ses_${i}`, data: { i } });
    }
    await audit.flush();
    expect(faulty.statements).toEqual([100, 50]);
    const page = await faulty.store.listAudit({ type: 'login.succeeded', limit: 200 });
    expect(page.items.map((event) => event.data.i).reverse()).toEqual(
      Array.from({ length: 150 }, (_, i) => i),
    );
  });

  it('issue 20 item 7 — a write that fails halfway keeps the unwritten rest, with no event written twice', async () => {
    faulty = await faultyStore();
    audit = createAuditLog({
      store: faulty.store,
      clock,
      logger: captureLog().logger,
      intervalMs: 60_000,
      batchSize: 2,
    });
    faulty.failing = true;
    faulty.okWrites = 2;
    for (let i = 0; i < 10; i++) {
      audit.record({ type: 'api_key.created', actor: 'admin', subject: `key_${i}`, data: { i } });
    }
    await audit.flush();
    expect(audit.stats().buffered).toBe(6);
    faulty.failing = false;
    await audit.flush();
    expect(audit.stats().buffered).toBe(0);
    const page = await faulty.store.listAudit({ type: 'api_key.created', limit: 100 });
    expect(page.items.map((event) => event.data.i).reverse()).toEqual(
      Array.from({ length: 10 }, (_, i) => i),
    );
  });

  it('issue 20 item 7 — the buffer is bounded: overflow is dropped and counted, with one log line', async () => {
    faulty = await faultyStore();
    const { logger, lines } = captureLog();
    audit = createAuditLog({ store: faulty.store, clock, logger, maxBuffered: 10, intervalMs: 60_000 });
    faulty.failing = true;
    for (let i = 0; i < 25; i++) {
      audit.record({ type: 'token.revoked', actor: 'system', subject: null, data: { i } });
    }
    await audit.flush();
    expect(audit.stats()).toEqual({ buffered: 10, dropped: 15 });
    expect(lines.filter((line) => line.level === 40 && /audit buffer full/.test(line.msg))).toHaveLength(1);
    faulty.failing = false;
    await audit.close();
    const page = await faulty.store.listAudit({ type: 'token.revoked', limit: 100 });
    expect(page.items.map((event) => event.data.i).reverse()).toEqual(
      Array.from({ length: 10 }, (_, i) => i),
    );
  });

  it('issue 20 item 7 — close() flushes buffered events', async () => {
    faulty = await faultyStore();
    audit = createAuditLog({ store: faulty.store, clock, logger: captureLog().logger, intervalMs: 60_000 });
    audit.record({ type: 'user.deleted', actor: 'admin', subject: 'usr_1', data: {} });
    await audit.close();
    audit = undefined;
    expect((await faulty.store.listAudit({ type: 'user.deleted' })).items).toHaveLength(1);
  });
});

describe('audit buffer metrics', () => {
  it('issue 20 item 7 — /metrics reports buffered and dropped audit events', async () => {
    const { bootstrap } = await import('../support/bootstrap.js');
    const t = await bootstrap({ 'audit.maxBuffered': 5 });
    try {
      const response = await t.app.inject({ method: 'GET', url: '/metrics' });
      expect(response.body).toMatch(/^tessera_audit_events_buffered \d+$/m);
      expect(response.body).toMatch(/^tessera_audit_events_dropped 0$/m);
    } finally {
      await t.close();
    }
  });
});
