/**
 * `npm run risk:eval`: the published evaluation (docs/risk.md). Calibrates the thresholds on seed 1,
 * reports on seeds 2–6, Tessera and the Freeman port on identical streams, a sweep over benign
 * churn, and the scoring latency with 100,000 people's histories in memory. Writes
 * packages/risk/results/risk-eval.json and the generated section of docs/risk.md.
 *
 * Knobs (environment): RISK_EVAL_USERS (default 3000), RISK_EVAL_BOOTSTRAP (default 200).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createScorer, type Scorer } from '../eval.js';
import { DEVICE_COOKIE_RATES, withDeviceCookies } from './device-cookies.js';
import { type Row, runStream } from './evaluate.js';
import { benchLatency, type Latency } from './latency.js';
import {
  aucOf,
  bootstrapWeights,
  type Estimate,
  estimate,
  flaggedShare,
  histogram,
  reauthFor,
  type Sample,
  sampleOf,
  thresholdAt,
} from './metrics.js';
import { Random } from './random.js';
import { renderReport } from './report.js';
import {
  ATTACKERS,
  type Churn,
  type LabelledEvent,
  REPLAYS,
  type SimulationOptions,
  simulate,
  TOKEN_BUDGETS,
} from './simulate.js';
import { withoutRoundTrips } from './without-round-trips.js';

export const MODELS = ['tessera', 'freeman'] as const;
export type ModelName = (typeof MODELS)[number];
export const STRATA = ['0', '1-3', '4-8', '>8', '>=1'] as const;
const CALIBRATION_SEED = 1;
const TEST_SEEDS = [2, 3, 4, 5, 6];

function inStratum(history: number, stratum: (typeof STRATA)[number]): boolean {
  switch (stratum) {
    case '0':
      return history === 0;
    case '1-3':
      return history >= 1 && history <= 3;
    case '4-8':
      return history >= 4 && history <= 8;
    case '>8':
      return history > 8;
    default:
      return history >= 1;
  }
}

export interface AttackResult {
  readonly n: number;
  readonly tpr1: Estimate;
  readonly tpr5: Estimate;
  readonly auc: Estimate;
  readonly reauth99: number;
  readonly reauth999: number;
}

export interface ModelResult {
  readonly thresholds: {
    readonly reauth1: number;
    readonly reauth5: number;
    readonly token: readonly number[];
  };
  /** Legitimate re-authentication reached on the test seeds, per stratum. */
  readonly legitReauth: Record<string, { n: number; at1: Estimate; at5: Estimate }>;
  readonly attacks: Record<string, Record<string, AttackResult>>;
  /** Per replay model, per token budget (index into TOKEN_BUDGETS). */
  readonly replay: Record<string, { n: number; within1: Estimate; within5: Estimate; within20: Estimate }[]>;
  /** Legitimate token uses acted on, on the test seeds, per token budget. */
  readonly legitTokenFlagged: readonly number[];
  /**
   * The targeted attacker, people with ≥ 1 earlier sign-in, by the victim's distance class
   * (`0`, `1`, `2`, `all`) and whether the victim's ISP was in their history (`known`, `new`, `all`):
   * keys `<distance>|<isp>`. What it cannot copy (the address, the proxy's RTT, the hour) weighs
   * differently in each.
   */
  readonly targetedFacets: Record<string, { n: number; tpr1: Estimate }>;
}

function simOptions(seed: number, churn: Churn, users: number): SimulationOptions {
  return {
    seed,
    users,
    days: 180,
    churn,
    attacksPerModel: Math.round(users / 4),
    replaysPerModel: Math.round(users / 6),
  };
}

function scorerFor(model: ModelName): Scorer {
  return createScorer({ model });
}

interface SeedRows {
  readonly seed: number;
  readonly rows: Row[];
}

function analyse(calibration: Row[], tests: readonly SeedRows[], replicates: number): ModelResult {
  // The budget is spent on people with at least one earlier sign-in (the population the targets are
  // for): calibrating on everyone would let the first sign-ins, scored low, pad the budget.
  const legitLogins = calibration
    .filter((r) => r.kind === 'legit' && !r.token && r.history >= 1)
    .map((r) => r.score);
  const legitTokens = calibration.filter((r) => r.kind === 'legit' && r.token).map((r) => r.score);
  const t1 = thresholdAt(legitLogins, 0.01);
  const t5 = thresholdAt(legitLogins, 0.05);
  const tokenThresholds = TOKEN_BUDGETS.map((budget) => thresholdAt(legitTokens, budget));
  const clusterIds = new Map<string, number>();
  const cluster = (seed: number, user: string) => {
    const key = `${seed}:${user}`;
    let id = clusterIds.get(key);
    if (id === undefined) {
      id = clusterIds.size;
      clusterIds.set(key, id);
    }
    return id;
  };
  const all = tests.flatMap(({ seed, rows }) => rows.map((r) => ({ ...r, cluster: cluster(seed, r.user) })));
  const weights = bootstrapWeights(new Random(99), clusterIds.size, replicates);
  const legitReauth: ModelResult['legitReauth'] = {};
  const attacks: ModelResult['attacks'] = {};
  const legitAll = all.filter((r) => r.kind === 'legit' && !r.token);
  const legitSample = sampleOf(legitAll);
  const legitHistogram = histogram(legitSample);
  const legitHistograms = weights.map((w) => histogram(legitSample, w));
  const share = (sample: Sample, t: number) =>
    estimate(
      flaggedShare(sample, t),
      weights.map((w) => flaggedShare(sample, t, w)),
    );
  for (const stratum of STRATA) {
    const legit = sampleOf(legitAll.filter((r) => inStratum(r.history, stratum)));
    legitReauth[stratum] = { n: legit.scores.length, at1: share(legit, t1), at5: share(legit, t5) };
  }
  for (const kind of ATTACKERS) {
    attacks[kind] = {};
    for (const stratum of STRATA) {
      const rows = all.filter((r) => r.kind === kind && inStratum(r.history, stratum));
      const sample = sampleOf(rows);
      (attacks[kind] as Record<string, AttackResult>)[stratum] = {
        n: rows.length,
        tpr1: share(sample, t1),
        tpr5: share(sample, t5),
        auc: estimate(
          aucOf(legitHistogram, histogram(sample)),
          weights.map((w, i) => aucOf(legitHistograms[i] as typeof legitHistogram, histogram(sample, w))),
        ),
        reauth99: reauthFor(
          legitSample.scores as unknown as number[],
          rows.map((r) => r.score),
          0.99,
        ),
        reauth999: reauthFor(
          legitSample.scores as unknown as number[],
          rows.map((r) => r.score),
          0.999,
        ),
      };
    }
  }
  const replay: ModelResult['replay'] = {};
  for (const kind of REPLAYS) {
    replay[kind] = tokenThresholds.map((tt) => {
      const first = new Map<number, { cluster: number; first: number }>();
      for (const r of all) {
        if (r.kind !== kind || r.replay === undefined || r.request === undefined) {
          continue;
        }
        const key = r.cluster * 100_000 + r.replay;
        const seen = first.get(key) ?? { cluster: r.cluster, first: Number.POSITIVE_INFINITY };
        if (r.score > tt) {
          seen.first = Math.min(seen.first, r.request);
        }
        first.set(key, seen);
      }
      const list = [...first.values()];
      const within = (k: number) =>
        share(sampleOf(list.map((x) => ({ score: x.first < k ? 1 : 0, cluster: x.cluster }))), 0.5);
      return { n: list.length, within1: within(1), within5: within(5), within20: within(20) };
    });
  }
  const targetedFacets: ModelResult['targetedFacets'] = {};
  const targeted = all.filter((r) => r.kind === 'targeted' && r.history >= 1);
  for (const distance of ['0', '1', '2', 'all']) {
    for (const isp of ['known', 'new', 'all']) {
      const rows = targeted.filter(
        (r) =>
          (distance === 'all' || String(r.distance) === distance) &&
          (isp === 'all' || r.knownNetwork === (isp === 'known')),
      );
      targetedFacets[`${distance}|${isp}`] = { n: rows.length, tpr1: share(sampleOf(rows), t1) };
    }
  }
  const testTokens = all.filter((r) => r.kind === 'legit' && r.token);
  return {
    thresholds: { reauth1: t1, reauth5: t5, token: tokenThresholds },
    legitReauth,
    attacks,
    replay,
    legitTokenFlagged: tokenThresholds.map(
      (tt) => testTokens.filter((r) => r.score > tt).length / Math.max(1, testTokens.length),
    ),
    targetedFacets,
  };
}

export interface ChurnResult {
  readonly churn: Churn;
  readonly model: ModelName;
  /** TPR at 1 % re-authentication (calibrated on this churn level's seed 1), people with ≥ 1 sign-in. */
  readonly tpr1: Record<string, number>;
  readonly replayWithin1: number;
  readonly legitReauth1: number;
}

function churnSweep(users: number): ChurnResult[] {
  const out: ChurnResult[] = [];
  for (const churn of ['low', 'medium', 'high'] as const) {
    const calibration = simulate(simOptions(11, churn, users));
    const test = simulate(simOptions(12, churn, users));
    for (const model of MODELS) {
      const result = analyse(
        runStream(calibration, scorerFor(model)),
        [{ seed: 12, rows: runStream(test, scorerFor(model)) }],
        20,
      );
      out.push({
        churn,
        model,
        tpr1: Object.fromEntries(
          ATTACKERS.map((k) => [k, result.attacks[k]?.['>=1']?.tpr1.value ?? Number.NaN]),
        ),
        replayWithin1: result.replay.replay_other_network?.[0]?.within1.value ?? Number.NaN,
        legitReauth1: result.legitReauth['>=1']?.at1.value ?? Number.NaN,
      });
    }
  }
  return out;
}

/** An optional row: Tessera on a variant of the main streams (calibrated on the variant's seed 1). */
export interface VariantResult {
  readonly legitReauth1: number;
  /** TPR at 1 % re-authentication, people with ≥ 1 sign-in. */
  readonly tpr1: Record<string, number>;
}

/** The device cookie modelled (device-cookies.ts). */
export interface DeviceCookieResult extends VariantResult {
  readonly cleared: number;
}

function variantRow(
  calibration: readonly LabelledEvent[],
  tests: readonly { seed: number; stream: readonly LabelledEvent[] }[],
  variant: (stream: readonly LabelledEvent[], seed: number) => LabelledEvent[],
): VariantResult {
  const result = analyse(
    runStream(variant(calibration, CALIBRATION_SEED), scorerFor('tessera')),
    tests.map(({ seed, stream }) => ({
      seed,
      rows: runStream(variant(stream, seed), scorerFor('tessera')),
    })),
    20,
  );
  return {
    legitReauth1: result.legitReauth['>=1']?.at1.value ?? Number.NaN,
    tpr1: Object.fromEntries(ATTACKERS.map((k) => [k, result.attacks[k]?.['>=1']?.tpr1.value ?? Number.NaN])),
  };
}

export interface Report {
  readonly generatedBy: string;
  readonly users: number;
  readonly seeds: { readonly calibration: number; readonly test: readonly number[] };
  readonly bootstrapReplicates: number;
  readonly events: number;
  readonly models: Record<ModelName, ModelResult>;
  readonly churn: readonly ChurnResult[];
  readonly latency: Latency;
  readonly seconds: number;
  /** Optional: not part of the main tables (the judged stream carries no `Device ID`). */
  readonly deviceCookies?: DeviceCookieResult;
  /** Optional: the main streams without `Round-Trip Time [ms]`. */
  readonly withoutRoundTrips?: VariantResult;
}

function main(): void {
  const started = Date.now();
  const users = Number(process.env.RISK_EVAL_USERS ?? 3000);
  const replicates = Number(process.env.RISK_EVAL_BOOTSTRAP ?? 200);
  const calibrationStream = simulate(simOptions(CALIBRATION_SEED, 'medium', users));
  const testStreams = TEST_SEEDS.map((seed) => ({
    seed,
    stream: simulate(simOptions(seed, 'medium', users)),
  }));
  const models = {} as Record<ModelName, ModelResult>;
  for (const model of MODELS) {
    const calibration = runStream(calibrationStream, scorerFor(model));
    const tests = testStreams.map(({ seed, stream }) => ({
      seed,
      rows: runStream(stream, scorerFor(model)),
    }));
    models[model] = analyse(calibration, tests, replicates);
    process.stderr.write(`risk:eval ${model} done after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  const churn = churnSweep(Math.round(users / 2));
  process.stderr.write(`risk:eval churn sweep done after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const deviceCookies = {
    cleared: DEVICE_COOKIE_RATES.cleared,
    ...variantRow(calibrationStream, testStreams, withDeviceCookies),
  };
  const noRoundTrips = variantRow(calibrationStream, testStreams, withoutRoundTrips);
  process.stderr.write(`risk:eval variants done after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const latency = benchLatency(100_000);
  const report: Report = {
    generatedBy: 'npm run risk:eval',
    users,
    seeds: { calibration: CALIBRATION_SEED, test: TEST_SEEDS },
    bootstrapReplicates: replicates,
    events: calibrationStream.length + testStreams.reduce((n, s) => n + s.stream.length, 0),
    models,
    churn,
    latency,
    seconds: (Date.now() - started) / 1000,
    deviceCookies,
    withoutRoundTrips: noRoundTrips,
  };
  const json = fileURLToPath(new URL('../../results/risk-eval.json', import.meta.url));
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  const docs = fileURLToPath(new URL('../../../../docs/risk.md', import.meta.url));
  const begin = '<!-- risk-eval:begin (generated by npm run risk:eval; do not edit) -->';
  const end = '<!-- risk-eval:end -->';
  const current = readFileSync(docs, 'utf8');
  const from = current.indexOf(begin);
  const to = current.indexOf(end);
  if (from < 0 || to < from) {
    throw new Error('docs/risk.md lacks the generated-section markers');
  }
  writeFileSync(
    docs,
    `${current.slice(0, from + begin.length)}\n${renderReport(report)}\n${current.slice(to)}`,
  );
  process.stdout.write(`${renderReport(report)}\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main();
}
