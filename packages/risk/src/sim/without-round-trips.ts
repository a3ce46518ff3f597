/**
 * The simulated stream without its `Round-Trip Time [ms]` column, as in a dataset or deployment that
 * does not measure it. Laid over a stream after
 * it is drawn: returns copies and leaves the stream of the main tables as it is. Adaptive attackers'
 * candidates lose it too, so the attacker still picks among what the model can see.
 */
import type { RiskEvent } from '../event.js';
import type { LabelledEvent } from './simulate.js';

const COLUMN = 'Round-Trip Time [ms]';

function without(event: RiskEvent): RiskEvent {
  const { [COLUMN]: _dropped, ...rest } = event;
  return rest;
}

export function withoutRoundTrips(stream: readonly LabelledEvent[]): LabelledEvent[] {
  return stream.map(({ event, truth }) => ({
    event: without(event),
    truth: truth.candidates === undefined ? truth : { ...truth, candidates: truth.candidates.map(without) },
  }));
}
