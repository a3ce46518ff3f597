/**
 * Prometheus gauges for the usage counters (stats-counters.ts): how many (minute, name, label)
 * counts wait for the store, and how many were dropped because the bound was reached during a store
 * outage.
 */
import { Gauge, type Registry } from 'prom-client';
import type { StatsCounters } from './stats-counters.js';

export function registerStatsMetrics(registry: Registry, stats: Pick<StatsCounters, 'state'>): void {
  new Gauge({
    name: 'tessera_stats_counts_held',
    help: 'Usage counters (console charts) counted but not yet written; they pile up while the store is failing',
    registers: [registry],
    collect() {
      this.set(stats.state().held);
    },
  });
  new Gauge({
    name: 'tessera_stats_counts_dropped',
    help: 'Usage counts dropped since start because the counters were full (store outage)',
    registers: [registry],
    collect() {
      this.set(stats.state().dropped);
    },
  });
}
