/**
 * Prometheus metrics (prom-client): requests by route and status, latency histograms, tokens
 * issued by grant and errors by code. `GET /metrics` serves them in the text format.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

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
