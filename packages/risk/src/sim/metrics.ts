/**
 * The statistics of the evaluation: thresholds at a legitimate re-authentication budget, TPR, ROC
 * AUC (binned Mann–Whitney), and 95 % intervals clustered by person with the Poisson bootstrap
 * (every person's rows get one weight drawn from Poisson(1) per replicate).
 */
import type { Random } from './random.js';

/** The lowest threshold t such that at most `budget` of `legit` scores lie strictly above t. */
export function thresholdAt(legit: readonly number[], budget: number): number {
  const sorted = Float64Array.from(legit).sort();
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((1 - budget) * sorted.length) - 1));
  return sorted[index] ?? 0;
}

/** The share of `legit` scores at or above the score that `share` of the attacks reach. */
export function reauthFor(legit: readonly number[], attacks: readonly number[], tpr: number): number {
  if (attacks.length === 0 || legit.length === 0) {
    return Number.NaN;
  }
  const sorted = Float64Array.from(attacks).sort();
  const t = sorted[Math.max(0, Math.floor((1 - tpr) * sorted.length))] ?? 0;
  return legit.filter((s) => s >= t).length / legit.length;
}

const BINS = 4000;
const LOW = -40;
const HIGH = 40;

function binOf(score: number): number {
  return Math.min(BINS - 1, Math.max(0, Math.floor(((score - LOW) / (HIGH - LOW)) * BINS)));
}

export interface Sample {
  readonly scores: Float64Array;
  readonly clusters: Int32Array;
}

export function sampleOf(rows: readonly { score: number; cluster: number }[]): Sample {
  return {
    scores: Float64Array.from(rows, (r) => r.score),
    clusters: Int32Array.from(rows, (r) => r.cluster),
  };
}

function weightOf(weights: Float64Array | undefined, cluster: number): number {
  return weights === undefined ? 1 : (weights[cluster] ?? 0);
}

export function flaggedShare(sample: Sample, threshold: number, weights?: Float64Array): number {
  let total = 0;
  let flagged = 0;
  for (let i = 0; i < sample.scores.length; i += 1) {
    const w = weightOf(weights, sample.clusters[i] ?? 0);
    total += w;
    if ((sample.scores[i] ?? 0) > threshold) {
      flagged += w;
    }
  }
  return total === 0 ? Number.NaN : flagged / total;
}

export interface Histogram {
  readonly bins: Float64Array;
  readonly total: number;
}

/** Scores binned (weighted by their cluster's bootstrap weight): AUC in O(bins) per pair. */
export function histogram(sample: Sample, weights?: Float64Array): Histogram {
  const bins = new Float64Array(BINS);
  let total = 0;
  for (let i = 0; i < sample.scores.length; i += 1) {
    const w = weightOf(weights, sample.clusters[i] ?? 0);
    const bin = binOf(sample.scores[i] ?? 0);
    bins[bin] = (bins[bin] ?? 0) + w;
    total += w;
  }
  return { bins, total };
}

/** P(attack score > legitimate score) + ½ P(tie), from two histograms. */
export function aucOf(legit: Histogram, attacks: Histogram): number {
  let below = 0;
  let sum = 0;
  for (let b = 0; b < BINS; b += 1) {
    sum += (attacks.bins[b] ?? 0) * (below + 0.5 * (legit.bins[b] ?? 0));
    below += legit.bins[b] ?? 0;
  }
  return legit.total === 0 || attacks.total === 0 ? Number.NaN : sum / (legit.total * attacks.total);
}

function poisson1(rng: Random): number {
  const limit = Math.exp(-1);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k += 1;
    p *= rng.next();
  }
  return k;
}

export function bootstrapWeights(rng: Random, clusters: number, replicates: number): Float64Array[] {
  return Array.from({ length: replicates }, () =>
    Float64Array.from({ length: clusters }, () => poisson1(rng)),
  );
}

export interface Estimate {
  readonly value: number;
  readonly low: number;
  readonly high: number;
}

export function estimate(point: number, replicates: readonly number[]): Estimate {
  const sorted = replicates.filter((v) => Number.isFinite(v)).sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { value: point, low: at(0.025), high: at(0.975) };
}
