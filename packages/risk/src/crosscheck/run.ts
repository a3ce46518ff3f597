/**
 * Cross-check: the engine and the Freeman et al. baseline on the independent RBA-like simulator
 * (`rba-like.ts`), through the evaluation adapter and the contract runner.
 *
 * For each model and seed 1–4, a fresh scorer runs over the stream. The threshold is calibrated on
 * seed 1 so that 1 % of successful legitimate sign-ins of people with at least one earlier
 * successful sign-in would be asked to re-authenticate (flagged: score above the threshold); seeds
 * 2–4, pooled, give each attacker's true-positive rate at that threshold (attacks on victims with at
 * least one earlier successful legitimate sign-in), the re-authentication rate the threshold reaches
 * among legitimate sign-ins, and each attacker's ROC AUC against those legitimate sign-ins.
 *
 *   npx tsc -b && node packages/risk/dist/crosscheck/run.js
 *   XCHECK_USERS=3000 (default) XCHECK_RTT=per-place-random (default) | by-network
 */

import { createScorer } from '../eval.js';
import { type Row, runStream } from '../sim/evaluate.js';
import { aucOf, histogram, sampleOf, thresholdAt } from '../sim/metrics.js';
import type { LabelledEvent } from '../sim/simulate.js';
import { RBA_LIKE_ATTACKERS, type RttModel, simulateRbaLike } from './rba-like.js';

const MODELS = ['tessera', 'freeman'] as const;
type Model = (typeof MODELS)[number];
const CALIBRATION_SEED = 1;
const TEST_SEEDS = [2, 3, 4];
const BUDGET = 0.01;
const ATTACKS_PER_MODEL = 400;

function rttOption(value: string | undefined): RttModel {
  if (value === undefined || value === '' || value === 'per-place-random') {
    return 'per-place-random';
  }
  if (value === 'by-network') {
    return 'by-network';
  }
  throw new Error(`XCHECK_RTT must be per-place-random or by-network, not ${value}`);
}

function rate(scores: readonly number[], threshold: number): number {
  let flagged = 0;
  for (const s of scores) {
    if (s > threshold) {
      flagged++;
    }
  }
  return scores.length === 0 ? Number.NaN : flagged / scores.length;
}

/** ROC AUC of `attacks` against `legit` (the evaluation's binned Mann–Whitney, sim/metrics.ts). */
function auc(attacks: readonly number[], legit: readonly number[]): number {
  const hist = (scores: readonly number[]) =>
    histogram(sampleOf(scores.map((score) => ({ score, cluster: 0 }))));
  return aucOf(hist(legit), hist(attacks));
}

interface Pooled {
  legit: number[];
  attacks: Map<string, number[]>;
}

function pool(rows: readonly Row[], into: Pooled): void {
  for (const row of rows) {
    if (row.token || row.history < 1) {
      continue;
    }
    if (row.kind === 'legit') {
      into.legit.push(row.score);
    } else {
      let list = into.attacks.get(row.kind);
      if (list === undefined) {
        list = [];
        into.attacks.set(row.kind, list);
      }
      list.push(row.score);
    }
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 === 1
    ? (sorted[Math.floor(mid)] ?? Number.NaN)
    : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}

/** What the legitimate behaviour looks like: sign-ins per person and novelty of IP, ASN and UA. */
function describe(stream: readonly LabelledEvent[]): string {
  const perUser = new Map<string, number>();
  const seen = new Map<string, { ip: Set<unknown>; asn: Set<unknown>; ua: Set<unknown> }>();
  let withHistory = 0;
  let newIp = 0;
  let newAsn = 0;
  let newUa = 0;
  let failed = 0;
  let attackIp = 0;
  for (const { event, truth } of stream) {
    if (truth.kind !== 'legit') {
      continue;
    }
    if (event['Login Successful'] !== true) {
      failed++;
      continue;
    }
    if (event['Is Attack IP'] === true) {
      attackIp++;
    }
    perUser.set(truth.user, (perUser.get(truth.user) ?? 0) + 1);
    let history = seen.get(truth.user);
    if (history === undefined) {
      history = { ip: new Set(), asn: new Set(), ua: new Set() };
      seen.set(truth.user, history);
    } else {
      withHistory++;
      newIp += history.ip.has(event['IP Address']) ? 0 : 1;
      newAsn += history.asn.has(event.ASN) ? 0 : 1;
      newUa += history.ua.has(event['User Agent String']) ? 0 : 1;
    }
    history.ip.add(event['IP Address']);
    history.asn.add(event.ASN);
    history.ua.add(event['User Agent String']);
  }
  const counts = [...perUser.values()];
  const total = counts.reduce((a, b) => a + b, 0);
  const pct = (n: number, of: number): string => `${((100 * n) / of).toFixed(1)} %`;
  const sorted = [...counts].sort((a, b) => a - b);
  const p90 = sorted[Math.floor(0.9 * (sorted.length - 1))] ?? 0;
  return [
    `Seed ${CALIBRATION_SEED} stream: ${stream.length} events, ${counts.length} people, ${total} successful legitimate sign-ins ` +
      `(per person: median ${median(counts)}, mean ${(total / counts.length).toFixed(2)}, p90 ${p90}, max ${sorted[sorted.length - 1] ?? 0}; ` +
      `${pct(counts.filter((c) => c === 1).length, counts.length)} with one), ${failed} failed legitimate attempts ` +
      `(${pct(failed, total)} of successes), ${attackIp} legitimate sign-ins from an address also used by attackers.`,
    `Successful legitimate sign-ins with ≥ 1 earlier one (${withHistory}): new IP ${pct(newIp, withHistory)}, ` +
      `new ASN ${pct(newAsn, withHistory)}, new UA string ${pct(newUa, withHistory)}.`,
  ].join('\n');
}

function main(): void {
  const users = Number(process.env.XCHECK_USERS ?? 3000);
  const rtt = rttOption(process.env.XCHECK_RTT);
  const thresholds = new Map<Model, number>();
  const calibrationRate = new Map<Model, number>();
  const pooled = new Map<Model, Pooled>(MODELS.map((m) => [m, { legit: [], attacks: new Map() }]));
  let description = '';
  for (const seed of [CALIBRATION_SEED, ...TEST_SEEDS]) {
    const started = Date.now();
    const stream = simulateRbaLike({ seed, users, attacksPerModel: ATTACKS_PER_MODEL, rtt });
    if (seed === CALIBRATION_SEED) {
      description = describe(stream);
    }
    for (const model of MODELS) {
      const rows = runStream(stream, createScorer({ model, seed }));
      if (seed === CALIBRATION_SEED) {
        const legit = rows
          .filter((row) => row.kind === 'legit' && !row.token && row.history >= 1)
          .map((row) => row.score);
        const threshold = thresholdAt(legit, BUDGET);
        thresholds.set(model, threshold);
        calibrationRate.set(model, rate(legit, threshold));
      } else {
        const into = pooled.get(model);
        if (into !== undefined) {
          pool(rows, into);
        }
      }
    }
    process.stderr.write(
      `seed ${seed}: ${stream.length} events, ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  }

  const fmt = (x: number): string => (Number.isNaN(x) ? '–' : x.toFixed(3));
  const lines: string[] = [];
  lines.push(
    `### RBA-like cross-check (rtt=${rtt}, users=${users}, attacks/model=${ATTACKS_PER_MODEL}; ` +
      `threshold: ${100 * BUDGET} % re-auth on seed ${CALIBRATION_SEED}; seeds ${TEST_SEEDS.join(', ')} pooled; history ≥ 1)`,
    '',
    '| | n | TPR tessera | TPR freeman | AUC tessera | AUC freeman |',
    '|---|---:|---:|---:|---:|---:|',
  );
  const tessera = pooled.get('tessera');
  const freeman = pooled.get('freeman');
  if (tessera === undefined || freeman === undefined) {
    throw new Error('missing results');
  }
  const tT = thresholds.get('tessera') ?? Number.POSITIVE_INFINITY;
  const tF = thresholds.get('freeman') ?? Number.POSITIVE_INFINITY;
  for (const kind of RBA_LIKE_ATTACKERS) {
    const a = tessera.attacks.get(kind) ?? [];
    const b = freeman.attacks.get(kind) ?? [];
    lines.push(
      `| ${kind} | ${a.length} | ${fmt(rate(a, tT))} | ${fmt(rate(b, tF))} | ${fmt(auc(a, tessera.legit))} | ${fmt(auc(b, freeman.legit))} |`,
    );
  }
  lines.push(
    `| legit re-auth reached | ${tessera.legit.length} | ${fmt(rate(tessera.legit, tT))} | ${fmt(rate(freeman.legit, tF))} | | |`,
    '',
    `Re-auth on the calibration seed: tessera ${fmt(calibrationRate.get('tessera') ?? Number.NaN)}, ` +
      `freeman ${fmt(calibrationRate.get('freeman') ?? Number.NaN)}.`,
    '',
    description,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
