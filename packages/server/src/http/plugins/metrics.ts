/**
 * Prometheus metrics (prom-client): requests by route and status, latency histograms, tokens
 * issued by grant and errors by code. `GET /metrics` serves them in the text format, on the public
 * port or (`metrics.listen`) on a listener of its own (http/metrics-listener.ts); with
 * `metrics.token` only to a caller presenting it. Under `serve --workers N` a scrape answers for
 * the whole process group (cluster-metrics.ts); each gauge says how its workers' values combine.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { StatsCounters } from '../../audit/stats-counters.js';
import {
  type CounterTally,
  type HistogramTally,
  type TalliedCounter,
  type TalliedHistogram,
  talliedCounter,
  talliedHistogram,
} from './metric-tallies.js';

/** What a scrape reads: this process's registry, or the whole process group's. */
export interface MetricsSource {
  readonly contentType: string;
  scrape(): Promise<string>;
}

export function registrySource(registry: Registry): MetricsSource {
  return { contentType: registry.contentType, scrape: () => registry.metrics() };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether an `Authorization` header carries `Bearer <token>` (RFC 6750 §2.1). Both sides are
 * hashed first so the constant-time compare sees equal lengths and the token's length leaks nothing.
 */
export function presentsMetricsToken(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer ([^\s]+)$/i.exec(authorization ?? '');
  return timingSafeEqual(digest(match?.[1] ?? ''), digest(token)) && match !== null;
}

/** The counters and the histogram are tallies read by prom-client at scrape time (metric-tallies.ts). */
export interface Metrics {
  registry: Registry;
  tokensIssued: TalliedCounter<'grant_type' | 'format'>;
  errors: TalliedCounter<'code'>;
  requests: TalliedCounter<'route' | 'method' | 'status'>;
  latency: TalliedHistogram<'route' | 'method'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tessera_process_' });
  return {
    registry,
    tokensIssued: talliedCounter({
      name: 'tessera_tokens_issued_total',
      help: 'Access tokens issued, by grant type and format',
      labelNames: ['grant_type', 'format'],
      registers: [registry],
    }),
    errors: talliedCounter({
      name: 'tessera_oauth_errors_total',
      help: 'Error responses, by OAuth error code',
      labelNames: ['code'],
      registers: [registry],
    }),
    requests: talliedCounter({
      name: 'tessera_http_requests_total',
      help: 'HTTP requests, by route, method and status',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    latency: talliedHistogram({
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
    // Workers of one node: the one furthest behind is what the node guarantees.
    aggregator: 'min',
    collect() {
      this.set(source.revocations().lastAppliedId);
    },
  });
  new Gauge({
    name: 'tessera_revocations_lag_seconds',
    help: 'Seconds since this node last confirmed it holds every revocation in the store (replay or poll)',
    registers,
    aggregator: 'max',
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
    aggregator: 'min',
    collect() {
      this.set(source.bus()?.connected === false ? 0 : 1);
    },
  });
}

export interface MetricsRouteOptions {
  /** Usage counters (the console's charts): every 429 by route, and `/introspect` answers by status. */
  stats?: Pick<StatsCounters, 'add'>;
  /** Where `GET /metrics` reads from (default: this process's registry). */
  source?: MetricsSource;
  /** False when `metrics.listen` serves them elsewhere: the public port has no `/metrics` then. */
  route?: boolean;
  /** `metrics.token`: the Bearer credential a scrape must present. */
  token?: string | undefined;
}

interface RouteSeries {
  timer: HistogramTally;
  counters: Map<number, CounterTally>;
}

/** An onResponse hook counting one route's responses and timing them, by method and status. */
function responseRecorder(
  metrics: Metrics,
  route: string,
  stats: Pick<StatsCounters, 'add'> | undefined,
): (request: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  const introspect = route === '/introspect';
  const byMethod = new Map<string, RouteSeries>();
  return function recordResponse(request, reply, done) {
    const method = request.method;
    let series = byMethod.get(method);
    if (series === undefined) {
      series = { timer: metrics.latency.child({ route, method }), counters: new Map() };
      byMethod.set(method, series);
    }
    const status = reply.statusCode;
    let counter = series.counters.get(status);
    if (counter === undefined) {
      counter = metrics.requests.child({ route, method, status: String(status) });
      series.counters.set(status, counter);
    }
    counter.inc();
    series.timer.observe(reply.elapsedTime / 1000);
    // The console's usage counters (audit/stats-counters.ts): 429s by route, introspections by status.
    if (stats !== undefined) {
      if (status === 429) {
        stats.add('rate_limited', route);
      }
      if (introspect && method === 'POST') {
        stats.add('introspections', String(status));
      }
    }
    done();
  };
}

export function registerMetrics(
  app: FastifyInstance,
  metrics: Metrics,
  options: MetricsRouteOptions = {},
): void {
  // Each route gets its own onResponse hook when it is registered, holding its label children by
  // method and status: a response costs two small map lookups, not a route lookup and label hashing.
  app.addHook('onRoute', (route) => {
    const existing = route.onResponse;
    route.onResponse = [
      ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]),
      responseRecorder(metrics, route.url, options.stats),
    ];
  });
  // Unmatched URLs (the not-found handler) share one label so garbage paths cannot blow up the
  // series count.
  const unmatched = responseRecorder(metrics, 'unmatched', options.stats);
  app.addHook('onResponse', function recordUnmatched(request, reply, done) {
    if (request.is404) {
      unmatched(request, reply, done);
      return;
    }
    done();
  });
  if (options.route === false) {
    return;
  }
  const source = options.source ?? registrySource(metrics.registry);
  const { token } = options;
  app.get(
    '/metrics',
    { logLevel: 'warn', config: { challenge: 'bearer' as const } },
    async (request, reply) => {
      if (token !== undefined && !presentsMetricsToken(request.headers.authorization, token)) {
        throw OAuthError.invalidToken(
          'GET /metrics needs the metrics token (metrics.token) as a Bearer credential',
        );
      }
      const text = await source.scrape().catch((error: unknown) => {
        throw OAuthError.temporarilyUnavailable('The metrics could not be collected', { cause: error });
      });
      reply.type(source.contentType);
      return text;
    },
  );
}
