/**
 * Prometheus metrics (prom-client): requests by route and status, latency histograms, tokens
 * issued by grant and errors by code. `GET /metrics` serves them in the text format.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  tokensIssued: Counter<'grant_type' | 'format'>;
  errors: Counter<'code'>;
  requests: Counter<'route' | 'method' | 'status'>;
  latency: Histogram<'route' | 'method'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tessera_process_' });
  return {
    registry,
    tokensIssued: new Counter({
      name: 'tessera_tokens_issued_total',
      help: 'Access tokens issued, by grant type and format',
      labelNames: ['grant_type', 'format'],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'tessera_oauth_errors_total',
      help: 'Error responses, by OAuth error code',
      labelNames: ['code'],
      registers: [registry],
    }),
    requests: new Counter({
      name: 'tessera_http_requests_total',
      help: 'HTTP requests, by route, method and status',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'tessera_http_request_duration_seconds',
      help: 'HTTP request latency, by route and method',
      labelNames: ['route', 'method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}

/** What the replication metrics read at each scrape (the denylist and the bus bridge). */
export interface ReplicationSource {
  revocations(): { lastAppliedId: number; syncedAt: number; replayed: number };
  /** Undefined without a bridge (one process: there is no bus connection to lose). */
  bus(): { connected: boolean } | undefined;
}

/**
 * How current this node's view of revocations made elsewhere is: the highest revocation id it has
 * read from the store, the seconds since it last confirmed it had all of them (the replication lag:
 * a revocation older than that is applied here), how many reached it only through the replay or the
 * poll (the bus missed them), and whether the bus connection is up.
 */
export function registerReplicationMetrics(metrics: Metrics, source: ReplicationSource): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'tessera_revocations_last_applied_id',
    help: 'Highest revocation id this node has read from the store',
    registers,
    collect() {
      this.set(source.revocations().lastAppliedId);
    },
  });
  new Gauge({
    name: 'tessera_revocations_lag_seconds',
    help: 'Seconds since this node last confirmed it holds every revocation in the store (replay or poll)',
    registers,
    collect() {
      const { syncedAt } = source.revocations();
      this.set(syncedAt === 0 ? 0 : Math.max(0, (Date.now() - syncedAt) / 1000));
    },
  });
  new Counter({
    name: 'tessera_revocations_replayed_total',
    help: 'Revocations that reached this node through the replay or the poll because the bus missed them',
    registers,
    collect() {
      this.reset();
      this.inc(source.revocations().replayed);
    },
  });
  new Gauge({
    name: 'tessera_bus_connected',
    help: 'Whether the cross-node bus connection is up (1) or down (0); 1 without a bridge',
    registers,
    collect() {
      this.set(source.bus()?.connected === false ? 0 : 1);
    },
  });
}

export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  // Label children are looked up once per route, method and status, not hashed on every request.
  const counters = new Map<string, { inc(): void }>();
  const timers = new Map<string, { observe(value: number): void }>();
  app.addHook('onResponse', (request, reply, done) => {
    // Unmatched URLs share one label so garbage paths cannot blow up the series count.
    const route = request.routeOptions.url ?? 'unmatched';
    const method = request.method;
    const status = String(reply.statusCode);
    const timerKey = `${method} ${route}`;
    const counterKey = `${timerKey} ${status}`;
    let counter = counters.get(counterKey);
    if (counter === undefined) {
      counter = metrics.requests.labels({ route, method, status });
      counters.set(counterKey, counter);
    }
    let timer = timers.get(timerKey);
    if (timer === undefined) {
      timer = metrics.latency.labels({ route, method });
      timers.set(timerKey, timer);
    }
    counter.inc();
    timer.observe(reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
