/**
 * Writes every scored sign-in's factor vector as CSV, for asking how much of what separates the
 * attackers is in the factors and how much the engine's combination (their sum) loses: the
 * labelled-ceiling diagnostic (`packages/risk/tools/labelled-ceiling.py`, docs/risk.md item 48).
 *
 * The engine is fed exactly as `runStream` feeds the adapter (score, then observe with the outcome,
 * then learn each successful legitimate sign-in; the adaptive attacker uses its lowest-scoring
 * candidate), so the `score` column equals the evaluation's. Token uses are left out.
 *
 *   npx tsc -b && node packages/risk/dist/sim/factor-vectors.js own 1-10 /tmp/own.csv
 *   node packages/risk/dist/sim/factor-vectors.js crosscheck 1-4 /tmp/xcheck.csv [per-place-random|by-network]
 */

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { simulateRbaLike } from '../crosscheck/rba-like.js';
import { createRiskEngine, type RiskAssessment } from '../engine.js';
import { unlabelled } from './evaluate.js';
import { type LabelledEvent, simulate } from './simulate.js';

export interface FactorRow {
  readonly seed: number;
  readonly kind: string;
  /** Successful legitimate sign-ins of the person before this one. */
  readonly history: number;
  readonly score: number;
  readonly factors: ReadonlyMap<string, number>;
}

/** One fresh engine over one stream; a row per sign-in the evaluation scores. */
export function factorRows(seed: number, stream: readonly LabelledEvent[]): FactorRow[] {
  const engine = createRiskEngine({});
  const history = new Map<string, number>();
  const rows: FactorRow[] = [];
  for (const { event, truth } of stream) {
    if (event['Event Type'] === 'token') {
      continue;
    }
    let chosen = event;
    let assessment: RiskAssessment | undefined;
    for (const candidate of truth.candidates ?? [event]) {
      const a = engine.assess(unlabelled(candidate));
      if (assessment === undefined || a.score < assessment.score) {
        assessment = a;
        chosen = candidate;
      }
    }
    if (assessment === undefined) {
      continue;
    }
    const success = chosen['Login Successful'] === true;
    if (truth.kind !== 'legit' || success) {
      const factors = new Map<string, number>();
      for (const f of assessment.factors) {
        factors.set(f.name, (factors.get(f.name) ?? 0) + f.value);
      }
      rows.push({
        seed,
        kind: truth.kind,
        history: history.get(truth.user) ?? 0,
        score: assessment.score,
        factors,
      });
    }
    engine.observe(chosen);
    if (truth.kind === 'legit' && success) {
      engine.learn(chosen);
      history.set(truth.user, (history.get(truth.user) ?? 0) + 1);
    }
  }
  return rows;
}

export function toCsv(rows: readonly FactorRow[]): string {
  const names = [...new Set(rows.flatMap((r) => [...r.factors.keys()]))].sort();
  const lines = [['seed', 'kind', 'history', 'score', ...names.map((n) => `f_${n}`)].join(',')];
  for (const r of rows) {
    const values = names.map((n) => (r.factors.get(n) ?? 0).toFixed(5));
    lines.push([r.seed, r.kind, r.history, r.score.toFixed(5), ...values].join(','));
  }
  return `${lines.join('\n')}\n`;
}

function seedsOf(spec: string): number[] {
  const [from, to] = spec.split('-').map(Number);
  if (from === undefined || !Number.isInteger(from) || (to !== undefined && !Number.isInteger(to))) {
    throw new Error(`seeds must look like 1-10 or 3, not ${spec}`);
  }
  const seeds: number[] = [];
  for (let s = from; s <= (to ?? from); s++) {
    seeds.push(s);
  }
  return seeds;
}

function main(): void {
  const [simulator, seedSpec, out, rtt] = process.argv.slice(2);
  if ((simulator !== 'own' && simulator !== 'crosscheck') || seedSpec === undefined || out === undefined) {
    throw new Error('usage: factor-vectors.js own|crosscheck <seeds, e.g. 1-10> <out.csv> [rtt model]');
  }
  const rows: FactorRow[] = [];
  for (const seed of seedsOf(seedSpec)) {
    // The same streams as `npm run risk:eval` (sim/run.ts simOptions, 3,000 people, medium churn)
    // and `npm run risk:crosscheck` (crosscheck/run.ts: 3,000 people, 400 attacks per model).
    const stream =
      simulator === 'own'
        ? simulate({
            seed,
            users: 3000,
            days: 180,
            churn: 'medium',
            attacksPerModel: 750,
            replaysPerModel: 0,
          })
        : simulateRbaLike({
            seed,
            users: 3000,
            attacksPerModel: 400,
            rtt: rtt === 'by-network' ? 'by-network' : 'per-place-random',
          });
    rows.push(...factorRows(seed, stream));
    process.stderr.write(`seed ${seed}: ${rows.length} rows\n`);
  }
  writeFileSync(out, toCsv(rows));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main();
}
