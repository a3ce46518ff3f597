/**
 * Scoring latency with many people's histories in memory: `people` histories of 3 sign-ins each are
 * learned, then 20,000 sign-ins and 20,000 token uses are scored one by one and timed.
 */

import { createScorer } from '../eval.js';
import type { RiskEvent } from '../event.js';
import { Random } from './random.js';

export interface Latency {
  readonly people: number;
  readonly scored: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  readonly heapMb: number;
}

function eventFor(rng: Random, user: number, at: number, type: 'login' | 'token'): RiskEvent {
  const asn = 1000 + (user % 500);
  return {
    'User ID': `p${user}`,
    'IP Address': `${20 + (asn % 200)}.${user % 250}.${rng.int(256)}.${1 + rng.int(254)}`,
    ASN: asn,
    Country: ['DE', 'US', 'FR', 'NO'][user % 4],
    Region: `R${user % 7}`,
    City: `C${user % 13}`,
    'User Agent String': `Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/${118 + (user % 5)}.0.0.0 Safari/537.36`,
    'Browser Name and Version': `Chrome ${118 + (user % 5)}.0`,
    'OS Name and Version': 'Windows 10',
    'Device Type': 'desktop',
    'Round-Trip Time [ms]': 20 + rng.int(80),
    'Epoch ms': at,
    'Event Type': type,
    'Session ID': `s${user}`,
    'Login Successful': true,
  };
}

export function benchLatency(people: number): Latency {
  const rng = new Random(7);
  const scorer = createScorer();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let round = 0; round < 3; round += 1) {
    for (let user = 0; user < people; user += 1) {
      const event = eventFor(rng, user, round * 86_400_000 + user, 'login');
      scorer.observe?.(event);
      scorer.learn(event);
    }
  }
  gc?.();
  const heapMb = (process.memoryUsage().heapUsed - before) / 1e6;
  const times: number[] = [];
  for (let i = 0; i < 40_000; i += 1) {
    const event = eventFor(rng, rng.int(people), 4 * 86_400_000 + i, i % 2 === 0 ? 'login' : 'token');
    const start = process.hrtime.bigint();
    scorer.score(event);
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return { people, scored: times.length, p50Us: at(0.5), p99Us: at(0.99), maxUs: at(1), heapMb };
}
