/**
 * An optional model of the server's device cookie (`risk.deviceCookie`, docs/risk.md "The device
 * cookie") laid over a simulated stream after it is drawn, so the streams of the main tables stay
 * exactly as they are (this draws from its own generator and returns copies).
 *
 * - A legitimate sign-in carries the cookie of the browser it comes from: one per person and
 *   browser (device type and UA string without its version numbers, so an update keeps it).
 *   With probability {@link DEVICE_COOKIE_RATES}.cleared per sign-in the cookie is gone (cleared
 *   cookies, a private window, a replaced device of the same kind) and the browser gets a new one.
 * - An attacker never carries the victim's: each attack sign-in (each adaptive candidate) brings a
 *   new, unknown id, as the server gives any browser without a valid cookie.
 * - Token events carry none (the cookie is a sign-in signal).
 */
import type { RiskEvent } from '../event.js';
import { Random } from './random.js';
import type { LabelledEvent } from './simulate.js';

export const DEVICE_COOKIE_RATES = { cleared: 0.05 } as const;

function browserOf(event: RiskEvent): string {
  return `${event['Device Type'] ?? ''}|${String(event['User Agent String'] ?? '').replace(/[0-9.]+/g, '')}`;
}

export function withDeviceCookies(stream: readonly LabelledEvent[], seed: number): LabelledEvent[] {
  const rng = new Random(seed * 7919 + 17);
  const cookies = new Map<string, string>();
  let minted = 0;
  const fresh = () => {
    minted += 1;
    return `dev-${seed}-${minted}`;
  };
  return stream.map(({ event, truth }) => {
    if (event['Event Type'] === 'token') {
      return { event, truth };
    }
    if (truth.kind !== 'legit') {
      const candidates = truth.candidates?.map((candidate) => ({ ...candidate, 'Device ID': fresh() }));
      return {
        event: { ...event, 'Device ID': fresh() },
        truth: candidates === undefined ? truth : { ...truth, candidates },
      };
    }
    const key = `${truth.user}|${browserOf(event)}`;
    let id = cookies.get(key);
    if (id === undefined || rng.chance(DEVICE_COOKIE_RATES.cleared)) {
      id = fresh();
      cookies.set(key, id);
    }
    return { event: { ...event, 'Device ID': id }, truth };
  });
}
