/**
 * The labelled-ceiling diagnostic (docs/risk.md item 48) reads the engine's factor vectors from
 * `src/sim/factor-vectors.ts`; its figures mean something only if those rows are the evaluation's
 * own sign-ins with the evaluation's own scores.
 */
import { createScorer } from '@tessera/risk/eval';
import { describe, expect, it } from 'vitest';
import { runStream } from '../src/sim/evaluate.js';
import { factorRows, toCsv } from '../src/sim/factor-vectors.js';
import { simulate } from '../src/sim/simulate.js';

const stream = simulate({
  seed: 5,
  users: 300,
  days: 60,
  churn: 'medium',
  attacksPerModel: 60,
  replaysPerModel: 10,
});

describe('factor vectors for the labelled ceiling', () => {
  const rows = factorRows(5, stream);
  const evaluated = runStream(stream, createScorer({ seed: 5 })).filter((row) => !row.token);

  it('are the sign-ins runStream scores, in order, with the same kind, history and score (the adaptive attacker at its lowest candidate)', () => {
    expect(rows.some((r) => r.kind === 'adaptive')).toBe(true);
    expect(rows.map((r) => [r.kind, r.history])).toEqual(evaluated.map((r) => [r.kind, r.history]));
    for (let i = 0; i < rows.length; i++) {
      expect(rows[i]?.score).toBeCloseTo(evaluated[i]?.score ?? Number.NaN, 9);
    }
  });

  it('carry every factor, so their sum is the score', () => {
    for (const row of rows) {
      let sum = 0;
      for (const value of row.factors.values()) {
        sum += value;
      }
      expect(sum).toBeCloseTo(row.score, 6);
    }
    const csv = toCsv(rows).trimEnd().split('\n');
    expect(csv).toHaveLength(rows.length + 1);
    expect(csv[0]?.split(',').slice(0, 4)).toEqual(['seed', 'kind', 'history', 'score']);
    expect(csv[0]).toContain('f_network');
  });
});
