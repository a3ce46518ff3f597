/**
 * Runs an in-process micro-benchmark (`micro/verify.mjs`) pinned to core 0, once; `run.mjs`
 * interleaves the repeats of every micro scenario.
 */
import { join } from 'node:path';
import { BENCH_DIR, runJsonChild } from './procs.mjs';
import { median } from './stats.mjs';

export async function runMicroOnce(scenario, options) {
  const out = await runJsonChild(
    join(BENCH_DIR, 'micro/verify.mjs'),
    { bench: scenario.bench, seconds: options.duration, warmup: options.warmup },
    { cores: '0' },
  );
  if (out.skip !== undefined) {
    throw Object.assign(new Error(out.skip), { skip: out.skip });
  }
  return out.value;
}

/** The median of the repeats, as a table figure. */
export function microSummary(values) {
  const value = median(values);
  return {
    value,
    unit: 'verifications/s',
    p50: Number.NaN,
    p99: Number.NaN,
    runs: values,
    note: `${(1e9 / value).toFixed(0)} ns/op`,
  };
}
