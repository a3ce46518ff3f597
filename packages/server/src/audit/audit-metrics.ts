/**
 * Prometheus gauges for the audit buffer: how many events wait for the store, and how many were
 * dropped because the buffer was full during a store outage.
 */
import { Gauge, type Registry } from 'prom-client';
import type { AuditLog } from './audit-log.js';

export function registerAuditMetrics(registry: Registry, audit: Pick<AuditLog, 'stats'>): void {
  new Gauge({
    name: 'tessera_audit_events_buffered',
    help: 'Audit events waiting to be written (they pile up while the store is failing)',
    registers: [registry],
    collect() {
      this.set(audit.stats().buffered);
    },
  });
  new Gauge({
    name: 'tessera_audit_events_dropped',
    help: 'Audit events dropped since start because the buffer was full (store outage)',
    registers: [registry],
    collect() {
      this.set(audit.stats().dropped);
    },
  });
}
