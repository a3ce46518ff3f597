import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { talliedCounter, talliedHistogram } from './metric-tallies.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The same metrics twice: prom-client's own classes, and the tallies. */
function pair() {
  const expected = new Registry();
  const actual = new Registry();
  const counter = new Counter({
    name: 'requests_total',
    help: 'Requests, by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [expected],
  });
  const histogram = new Histogram({
    name: 'latency_seconds',
    help: 'Latency',
    labelNames: ['route', 'method'],
    buckets: BUCKETS,
    registers: [expected],
  });
  const tallied = talliedCounter({
    name: 'requests_total',
    help: 'Requests, by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [actual],
  });
  const talliedLatency = talliedHistogram({
    name: 'latency_seconds',
    help: 'Latency',
    labelNames: ['route', 'method'],
    buckets: BUCKETS,
    registers: [actual],
  });
  return {
    expected,
    actual,
    respond(route: string, method: string, status: number, seconds: number) {
      counter.labels({ route, method, status: String(status) }).inc();
      histogram.labels({ route, method }).observe(seconds);
      tallied.child({ route, method, status: String(status) }).inc();
      talliedLatency.child({ route, method }).observe(seconds);
    },
  };
}

/** Deterministic latencies across every bucket, above the last one and between bounds. */
function* latencies(n: number) {
  let x = 0.12345;
  for (let i = 0; i < n; i += 1) {
    x = (x * 9301 + 0.49297) % 1;
    yield x ** 4 * 4;
  }
}

describe('metric tallies: the exposition prom-client gives for the same observations', () => {
  it('byte for byte, across scrapes, with series first seen between scrapes', async () => {
    const m = pair();
    expect(await m.actual.metrics()).toBe(await m.expected.metrics());
    const routes = ['/token', '/introspect', '/api-keys/verify', 'unmatched'];
    let n = 0;
    for (const seconds of latencies(3000)) {
      n += 1;
      const route = routes[n % (n < 1000 ? 2 : 4)] as string;
      m.respond(route, n % 7 === 0 ? 'GET' : 'POST', n % 11 === 0 ? 429 : 200, seconds);
      if (n % 500 === 0) {
        expect(await m.actual.metrics()).toBe(await m.expected.metrics());
      }
    }
    const text = await m.actual.metrics();
    expect(text).toBe(await m.expected.metrics());
    expect(text).toContain('latency_seconds_bucket{le="+Inf",route="/token",method="POST"}');
    expect(text).toContain('requests_total{route="unmatched",method="GET",status="429"}');
  });

  it('the same JSON for the cluster aggregator (serve --workers), and the same aggregate', async () => {
    const workers = [pair(), pair()];
    let n = 0;
    for (const seconds of latencies(400)) {
      n += 1;
      workers[n % 2]?.respond(n % 3 === 0 ? '/token' : '/jwks', 'POST', 200, seconds);
    }
    const expected = await Promise.all(workers.map((w) => w.expected.getMetricsAsJSON()));
    const actual = await Promise.all(workers.map((w) => w.actual.getMetricsAsJSON()));
    expect(JSON.parse(JSON.stringify(actual))).toEqual(JSON.parse(JSON.stringify(expected)));
    const aggregate = async (metrics: typeof expected) =>
      AggregatorRegistry.aggregate(metrics as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
    expect(await aggregate(actual)).toBe(await aggregate(expected));
  });

  it('a reset empties the series, and counting goes on in children kept from before', async () => {
    const m = pair();
    m.respond('/token', 'POST', 200, 0.002);
    m.expected.resetMetrics();
    m.actual.resetMetrics();
    expect(await m.actual.metrics()).toBe(await m.expected.metrics());
    m.respond('/token', 'POST', 200, 0.003);
    expect(await m.actual.metrics()).toBe(await m.expected.metrics());
  });
});
