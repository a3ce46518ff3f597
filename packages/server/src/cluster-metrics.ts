/**
 * One `/metrics` for the whole `tessera serve --workers N` process group. Each worker counts in its
 * own prom-client registry; a scrape must see the sum, or every scrape would show whichever worker
 * the kernel handed the connection to. prom-client's AggregatorRegistry does the merge: the primary
 * asks every worker for its registry over the cluster's IPC channel and combines them (counters and
 * histograms summed, each gauge as it declares: `min`, `max`, `sum`…).
 *
 * The primary scrapes directly when it serves `metrics.listen`; a worker answering `/metrics` on the
 * public port asks the primary for that same aggregate with one IPC round trip.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricsSource } from './http/plugins/metrics.js';

const REQUEST = 'tessera:metrics-request';
const RESULT = 'tessera:metrics-result';
/** prom-client gives up on a silent worker after 5 s; this leaves room for that answer. */
const WORKER_WAIT_MS = 8_000;

interface MetricsRequest {
  tag: typeof REQUEST;
  id: number;
}

interface MetricsResult {
  tag: typeof RESULT;
  id: number;
  text?: string;
  error?: string;
}

function tagged<T extends { tag: string; id: number }>(message: unknown, tag: T['tag']): message is T {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { tag?: unknown }).tag === tag &&
    typeof (message as { id?: unknown }).id === 'number'
  );
}

/**
 * The primary's side: the aggregate of every worker's registry, and the answer to workers that
 * ask for it. Call once, before forking.
 */
export function createPrimaryMetrics(): MetricsSource {
  const aggregator = new AggregatorRegistry();
  const source: MetricsSource = {
    contentType: aggregator.contentType,
    scrape: () => aggregator.clusterMetrics(),
  };
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!tagged<MetricsRequest>(message, REQUEST)) {
      return;
    }
    const reply = (result: Omit<MetricsResult, 'tag' | 'id'>) => {
      if (worker.isConnected()) {
        worker.send({ tag: RESULT, id: message.id, ...result });
      }
    };
    source.scrape().then(
      (text) => reply({ text }),
      (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
    );
  });
  return source;
}

/** The part of a worker's `process` used here (the IPC channel to the primary). */
interface PrimaryChannel {
  send?(message: unknown): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

/**
 * A worker's side: its registry is what it hands the primary when asked, and a scrape on the public
 * port returns the primary's aggregate of all of them.
 */
export function workerMetricsSource(registry: Registry, channel: PrimaryChannel = process): MetricsSource {
  AggregatorRegistry.setRegistries(registry);
  // Constructing one installs prom-client's responder to the primary's requests in this worker.
  new AggregatorRegistry();
  const pending = new Map<number, { resolve(text: string): void; reject(error: Error): void }>();
  let next = 0;
  channel.on('message', (message) => {
    if (!tagged<MetricsResult>(message, RESULT)) {
      return;
    }
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.text !== undefined) {
      waiter?.resolve(message.text);
    } else {
      waiter?.reject(new Error(`the primary could not collect the workers' metrics: ${message.error}`));
    }
  });
  return {
    contentType: registry.contentType,
    scrape() {
      const id = next++;
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error('the primary did not answer the metrics request'));
        }, WORKER_WAIT_MS);
        pending.set(id, {
          resolve: (text) => {
            clearTimeout(timer);
            resolve(text);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        if (channel.send === undefined) {
          pending.get(id)?.reject(new Error('no IPC channel to the primary'));
          pending.delete(id);
          return;
        }
        channel.send({ tag: REQUEST, id } satisfies MetricsRequest);
      });
    },
  };
}
