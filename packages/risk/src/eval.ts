/**
 * `@tessera/risk/eval`: the adapter for independent evaluation harnesses.
 *
 * `createScorer(options)` returns `{ score, learn, observe }`, pure and synchronous, over plain
 * objects with the RBA dataset's column names plus `Event Type` (`login` | `token`), `Epoch ms` and
 * `Session ID`. The harness calls, for every event in time order: `score(event)` (higher is riskier;
 * it reads no label), then `observe(event)` with `Login Successful` filled in, then `learn(event)` for
 * each successful legitimate sign-in. The engine behind it is the one the server uses.
 *
 * @example
 * import { createScorer } from '@tessera/risk/eval';
 * const scorer = createScorer({ seed: 1 });
 * const risk = scorer.score({ 'User ID': 'u1', 'IP Address': '203.0.113.9', 'Event Type': 'login', 'Epoch ms': 0 });
 */
import { createRiskEngine, type RiskEngineOptions } from './engine.js';
import type { RiskEvent } from './event.js';
import { createFreemanModel } from './freeman.js';

export type { RiskEvent } from './event.js';

export interface ScorerOptions extends RiskEngineOptions {
  /** `tessera` (default) or the `freeman` baseline. */
  readonly model?: 'tessera' | 'freeman';
  /** Accepted for harnesses that pass one; both models are deterministic and use no randomness. */
  readonly seed?: number;
}

export interface Scorer {
  /** Risk of the event, higher is riskier. Reads no label, changes no state. Never throws. */
  score(event: RiskEvent): number;
  /** A successful legitimate sign-in. */
  learn(event: RiskEvent): void;
  /** Every event after `score`, with `Login Successful`. */
  observe?(event: RiskEvent): void;
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

export function createScorer(options: ScorerOptions = {}): Scorer {
  if (options.model === 'freeman') {
    const model = createFreemanModel();
    return {
      score: (event) => safe(() => model.score(event), 0),
      learn: (event) => safe(() => model.learn(event), undefined),
      observe: () => undefined,
    };
  }
  const engine = createRiskEngine(options);
  return {
    score: (event) => safe(() => engine.assess(event).score, 0),
    learn: (event) => safe(() => engine.learn(event), undefined),
    observe: (event) => safe(() => engine.observe(event), undefined),
  };
}
