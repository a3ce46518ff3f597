/**
 * Two per-response parts of the hot paths measured alone, old way against new way in alternating
 * rounds of one process (docs/performance.md, items 18–19):
 *
 * - `limiter`: one request counted against a per-address limit, awaited as an onRequest hook
 *   awaited it: rate-limiter-flexible's `RateLimiterMemory#consume` (a promise and a result object
 *   per call) against the server's synchronous `createRateLimiter` (from `packages/server/dist`);
 * - `metrics`: what one client-credentials response records: a request count, a latency
 *   observation and a token count, through prom-client's label children against the tallies
 *   (`metric-tallies.ts`).
 *
 *   node bench/micro/request-parts.mjs [rounds] [calls per round]
 *
 * Prints the median ns per request of each way over the rounds and new/old.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Counter, Histogram, Registry } from 'prom-client';
import { RateLimiterMemory } from 'rate-limiter-flexible';

const ROUNDS = Number(process.argv[2] ?? 15);
const CALLS = Number(process.argv[3] ?? 200_000);
const ROOT = new URL('../../', import.meta.url).pathname;
const load = (path) => import(pathToFileURL(join(ROOT, 'packages/server/dist', path)).href);
const { createRateLimiter } = await load('http/plugins/rate-limit.js');
const { talliedCounter, talliedHistogram } = await load('http/plugins/metric-tallies.js');

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const ADDRESSES = Array.from({ length: 64 }, (_, i) => `ip:10.0.0.${i}`);

function limiterWays() {
  const old = new RateLimiterMemory({ points: 10_000_000, duration: 60 });
  const fields = { remaining: 0, reset: 0 };
  const now = createRateLimiter({ limit: 10_000_000, window: 60, subject: 'requests' });
  return {
    async old(n) {
      for (let i = 0; i < n; i += 1) {
        const res = await old.consume(ADDRESSES[i & 63], 1);
        fields.remaining = res.remainingPoints;
        fields.reset = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      }
    },
    async new(n) {
      for (let i = 0; i < n; i += 1) {
        now.consume(ADDRESSES[i & 63]);
      }
    },
  };
}

function metricsWays() {
  const registry = new Registry();
  const requests = new Counter({
    name: 'a',
    help: 'a',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'b',
    help: 'b',
    labelNames: ['route', 'method'],
    buckets: BUCKETS,
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'c',
    help: 'c',
    labelNames: ['grant_type', 'format'],
    registers: [registry],
  });
  const count = requests.labels({ route: '/token', method: 'POST', status: '200' });
  const timer = latency.labels({ route: '/token', method: 'POST' });
  const tallies = new Registry();
  const requests2 = talliedCounter({
    name: 'a',
    help: 'a',
    labelNames: ['route', 'method', 'status'],
    registers: [tallies],
  });
  const latency2 = talliedHistogram({
    name: 'b',
    help: 'b',
    labelNames: ['route', 'method'],
    buckets: BUCKETS,
    registers: [tallies],
  });
  const tokens2 = talliedCounter({
    name: 'c',
    help: 'c',
    labelNames: ['grant_type', 'format'],
    registers: [tallies],
  });
  const count2 = requests2.child({ route: '/token', method: 'POST', status: '200' });
  const timer2 = latency2.child({ route: '/token', method: 'POST' });
  return {
    async old(n) {
      for (let i = 0; i < n; i += 1) {
        count.inc();
        timer.observe((i & 1023) / 100_000);
        tokens.inc({ grant_type: 'client_credentials', format: 'jwt' });
      }
      await registry.metrics();
    },
    async new(n) {
      for (let i = 0; i < n; i += 1) {
        count2.inc();
        timer2.observe((i & 1023) / 100_000);
        tokens2.inc({ grant_type: 'client_credentials', format: 'jwt' });
      }
      await tallies.metrics();
    },
  };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

for (const [name, ways] of [
  ['limiter', limiterWays()],
  ['metrics', metricsWays()],
]) {
  await ways.old(CALLS);
  await ways.new(CALLS);
  const samples = { old: [], new: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const way of round % 2 === 0 ? ['old', 'new'] : ['new', 'old']) {
      const started = process.cpuUsage();
      await ways[way](CALLS);
      const used = process.cpuUsage(started);
      samples[way].push(((used.user + used.system) * 1000) / CALLS);
    }
  }
  const [o, n] = [median(samples.old), median(samples.new)];
  process.stdout.write(
    `${name}: old ${o.toFixed(0)} ns/request, new ${n.toFixed(0)} ns/request (medians of ${ROUNDS} × ${CALLS}), new/old ${(n / o).toFixed(3)}\n`,
  );
}
