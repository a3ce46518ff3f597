/**
 * Counters and histograms counted as plain numbers on the hot path and handed to prom-client only
 * when it is scraped. A prom-client child's `inc()` or `observe()` validates and hashes its labels
 * and allocates on every call (~1 µs each, three per token response: docs/performance.md); here a
 * caller keeps the tally of its label set and a response costs an addition.
 *
 * The exposition is the one prom-client's own `Counter` and `Histogram` give for the same
 * observations, byte for byte (`metric-tallies.test.ts` holds them to it): a counter's tallies are
 * added to a prom-client `Counter` by its `collect` callback, in the order the series first
 * counted; a histogram's series are kept as prom-client keeps them (bucket counts, the sum added in
 * observation order, the count) and read through the `get()` every registry and the cluster
 * aggregator call.
 */
import { Counter, type Metric, type Registry } from 'prom-client';

/** One label set's count. */
export interface CounterTally {
  inc(): void;
}

/** One label set's observations. */
export interface HistogramTally {
  observe(value: number): void;
}

export interface TalliedCounter<L extends string> {
  /** The tally of one label set: keep it, so that counting costs no lookup. */
  child(labels: Readonly<Record<L, string>>): CounterTally;
  /** Counts one for `labels` (a small map lookup by the label values). */
  inc(labels: Readonly<Record<L, string>>): void;
}

export interface TalliedHistogram<L extends string> {
  /** The series of one label set: keep it, so that observing costs no lookup. */
  child(labels: Readonly<Record<L, string>>): HistogramTally;
}

interface CounterState<L extends string> {
  labels: Readonly<Record<L, string>>;
  /** Whether the label set has counted since the start (or a reset). */
  listed: boolean;
  /** Counted and not yet handed to prom-client. */
  n: number;
}

interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registers: Registry[];
}

/** The key of a label set: its values in `labelNames` order. */
function keyOf<L extends string>(labelNames: readonly L[], labels: Readonly<Record<L, string>>): string {
  let key = '';
  for (const name of labelNames) {
    key += `${labels[name]}\u0000`;
  }
  return key;
}

export function talliedCounter<L extends string>(options: MetricOptions<L>): TalliedCounter<L> {
  /** The label sets counted since the start (or a reset), in the order of their first count. */
  let counted: CounterState<L>[] = [];
  const byKey = new Map<string, CounterTally>();
  const counter = new Counter<L>({
    name: options.name,
    help: options.help,
    labelNames: options.labelNames,
    registers: options.registers,
    collect() {
      for (const state of counted) {
        if (state.n > 0) {
          const n = state.n;
          state.n = 0;
          this.inc(state.labels, n);
        }
      }
    },
  });
  // A reset (Registry#resetMetrics) drops what is not yet handed over, as it drops the series.
  const reset = counter.reset.bind(counter);
  counter.reset = () => {
    for (const state of counted) {
      state.listed = false;
      state.n = 0;
    }
    counted = [];
    reset();
  };
  function child(labels: Readonly<Record<L, string>>): CounterTally {
    const key = keyOf(options.labelNames, labels);
    const existing = byKey.get(key);
    if (existing !== undefined) {
      return existing;
    }
    const state: CounterState<L> = { labels: { ...labels }, listed: false, n: 0 };
    const tally: CounterTally = {
      inc() {
        if (!state.listed) {
          state.listed = true;
          counted.push(state);
        }
        state.n += 1;
      },
    };
    byKey.set(key, tally);
    return tally;
  }
  return {
    child,
    inc(labels) {
      child(labels).inc();
    },
  };
}

interface HistogramSeries {
  labels: Record<string, string>;
  /** Whether the series is exported (from its first observation until a reset). */
  listed: boolean;
  /** Observations per bucket (not cumulative), by the index of the bucket's upper bound. */
  buckets: number[];
  sum: number;
  count: number;
}

interface ExportedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
  exemplar?: null;
}

export function talliedHistogram<L extends string>(
  options: MetricOptions<L> & { buckets: readonly number[] },
): TalliedHistogram<L> {
  const bounds = [...options.buckets].sort((a, b) => a - b);
  /** Series in the order of their first observation (prom-client's order). */
  let series: HistogramSeries[] = [];
  const byKey = new Map<string, HistogramTally>();
  const { name, help } = options;
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    // The shape prom-client's Histogram#get() returns; the registry formats the text from it.
    get() {
      const values: ExportedValue[] = [];
      for (const s of series) {
        let cumulative = 0;
        for (const [i, bound] of bounds.entries()) {
          cumulative += s.buckets[i] ?? 0;
          values.push({
            labels: { le: bound, ...s.labels },
            value: cumulative,
            metricName: `${name}_bucket`,
            exemplar: null,
          });
        }
        values.push(
          {
            labels: { le: '+Inf', ...s.labels },
            value: s.count,
            metricName: `${name}_bucket`,
            exemplar: null,
          },
          { labels: { ...s.labels }, value: s.sum, metricName: `${name}_sum` },
          { labels: { ...s.labels }, value: s.count, metricName: `${name}_count` },
        );
      }
      return Promise.resolve({ name, help, type: 'histogram', values, aggregator: 'sum' });
    },
    reset() {
      for (const s of series) {
        s.listed = false;
        s.buckets.fill(0);
        s.sum = 0;
        s.count = 0;
      }
      series = [];
    },
  };
  for (const registry of options.registers) {
    registry.registerMetric(metric as unknown as Metric);
  }
  return {
    child(labels) {
      const key = keyOf(options.labelNames, labels);
      const existing = byKey.get(key);
      if (existing !== undefined) {
        return existing;
      }
      const state: HistogramSeries = {
        labels: { ...labels },
        listed: false,
        buckets: bounds.map(() => 0),
        sum: 0,
        count: 0,
      };
      const tally: HistogramTally = {
        observe(value) {
          if (!Number.isFinite(value)) {
            throw new TypeError(`Value is not a valid number: ${value}`);
          }
          if (!state.listed) {
            state.listed = true;
            series.push(state);
          }
          // prom-client's findBound: the first upper bound the value does not exceed (none: +Inf only).
          for (let i = 0; i < bounds.length; i += 1) {
            if (value <= (bounds[i] as number)) {
              state.buckets[i] = (state.buckets[i] ?? 0) + 1;
              break;
            }
          }
          state.sum += value;
          state.count += 1;
        },
      };
      byKey.set(key, tally);
      return tally;
    },
  };
}
