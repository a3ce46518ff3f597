/**
 * Runs one scorer over one simulated stream, exactly as the evaluation contract says: `score`, then
 * `observe` (with the outcome), then `learn` for each successful legitimate sign-in. The adaptive
 * attacker asks the scorer under test for each of its candidates and uses the lowest-scoring one.
 */

import type { Scorer } from '../eval.js';
import type { RiskEvent } from '../event.js';
import { LABEL_COLUMNS } from '../event.js';
import type { LabelledEvent, Truth } from './simulate.js';

export interface Row {
  readonly kind: Truth['kind'];
  readonly token: boolean;
  readonly user: string;
  /** Successful legitimate sign-ins of the person before this event. */
  readonly history: number;
  readonly score: number;
  readonly request: number | undefined;
  readonly replay: number | undefined;
  /** A sign-in attack: the victim's distance class (simulate.ts `Truth.distance`). */
  readonly distance: number | undefined;
  /** The event's ASN was on one of the person's earlier legitimate sign-ins (e.g. the victim's own ISP). */
  readonly knownNetwork: boolean;
}

/** The event without its labels: what `score` is given. */
export function unlabelled(event: RiskEvent): RiskEvent {
  const copy: Record<string, unknown> = { ...event };
  for (const column of LABEL_COLUMNS) {
    delete copy[column];
  }
  return copy as RiskEvent;
}

export function runStream(stream: readonly LabelledEvent[], scorer: Scorer): Row[] {
  const history = new Map<string, number>();
  const networks = new Map<string, Set<unknown>>();
  const rows: Row[] = [];
  for (const { event, truth } of stream) {
    let chosen = event;
    let score: number;
    if (truth.candidates !== undefined) {
      score = Number.POSITIVE_INFINITY;
      for (const candidate of truth.candidates) {
        const s = scorer.score(unlabelled(candidate));
        if (s < score) {
          score = s;
          chosen = candidate;
        }
      }
    } else {
      score = scorer.score(unlabelled(event));
    }
    const token = chosen['Event Type'] === 'token';
    const success = chosen['Login Successful'] === true;
    if (!(truth.kind === 'legit' && !token && !success)) {
      rows.push({
        kind: truth.kind,
        token,
        user: truth.user,
        history: history.get(truth.user) ?? 0,
        score,
        request: truth.request,
        replay: truth.replay,
        distance: truth.distance,
        knownNetwork: networks.get(truth.user)?.has(chosen.ASN) === true,
      });
    }
    scorer.observe?.(chosen);
    if (truth.kind === 'legit' && !token && success) {
      scorer.learn(chosen);
      history.set(truth.user, (history.get(truth.user) ?? 0) + 1);
      let seen = networks.get(truth.user);
      if (seen === undefined) {
        seen = new Set();
        networks.set(truth.user, seen);
      }
      seen.add(chosen.ASN);
    }
  }
  return rows;
}
