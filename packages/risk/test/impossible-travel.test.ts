/**
 * `impossible_travel` (docs/risk.md, factor table): a sign-in from a place farther from the person's
 * previous sign-in than 1,000 km/h could carry them. Places are a city database's coordinates.
 */
import { describe, expect, it } from 'vitest';
import { createRiskEngine, distanceKm, impossibleTravel, type RiskEvent } from '../src/index.js';

const BERLIN = { latitude: 52.52, longitude: 13.405 };
const POTSDAM = { latitude: 52.39, longitude: 13.065 };
const PARIS = { latitude: 48.857, longitude: 2.352 };
const SYDNEY = { latitude: -33.869, longitude: 151.209 };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const T0 = Date.UTC(2026, 0, 5, 9);

function signIn(
  at: number,
  place: { latitude: number; longitude: number } | undefined,
  country: string,
  ip: string,
): RiskEvent {
  return {
    'User ID': 'u1',
    'IP Address': ip,
    Country: country,
    ASN: country === 'DE' ? 64500 : 64999,
    'User Agent String': UA,
    'Event Type': 'login',
    'Epoch ms': at,
    ...(place === undefined ? {} : { Latitude: place.latitude, Longitude: String(place.longitude) }),
  };
}

/** The factors of a sign-in at `at` from `place`, after three learned sign-ins in Berlin, the last at T0. */
function factorsAfterBerlin(at: number, place: typeof BERLIN | undefined, country: string): string[] {
  const engine = createRiskEngine();
  for (const offset of [-48 * HOUR, -24 * HOUR, 0]) {
    const event = { ...signIn(T0 + offset, BERLIN, 'DE', '203.0.113.5'), 'Login Successful': true };
    engine.observe(event);
    engine.learn(event);
  }
  return engine.assess(signIn(at, place, country, '198.51.100.7')).factors.map((factor) => factor.name);
}

describe('impossibleTravel', () => {
  it('great-circle distances: Berlin–Paris about 878 km, Berlin–Sydney about 16,000 km', () => {
    expect(distanceKm(BERLIN, PARIS)).toBeGreaterThan(870);
    expect(distanceKm(BERLIN, PARIS)).toBeLessThan(885);
    expect(distanceKm(BERLIN, SYDNEY)).toBeGreaterThan(15_900);
    expect(distanceKm(BERLIN, SYDNEY)).toBeLessThan(16_200);
  });

  it('a jump faster than 1,000 km/h scores 4 + ln(speed / 1,000), at most 6; a plausible trip, a nearby city or an out-of-order pair 0', () => {
    // Berlin → Paris in 30 minutes: about 1,756 km/h.
    expect(impossibleTravel(BERLIN, PARIS, 30 * MINUTE)).toBeCloseTo(4 + Math.log(1756 / 1000), 1);
    expect(impossibleTravel(BERLIN, SYDNEY, 30 * MINUTE)).toBe(6);
    expect(impossibleTravel(BERLIN, SYDNEY, 0)).toBe(6);
    // By plane: Berlin → Paris in 2 hours (439 km/h); Berlin → Sydney in 22 hours (730 km/h).
    expect(impossibleTravel(BERLIN, PARIS, 2 * HOUR)).toBe(0);
    expect(impossibleTravel(BERLIN, SYDNEY, 22 * HOUR)).toBe(0);
    // Within a city database's error: Berlin → Potsdam in a minute.
    expect(impossibleTravel(BERLIN, POTSDAM, MINUTE)).toBe(0);
    expect(impossibleTravel(BERLIN, SYDNEY, -MINUTE)).toBe(0);
  });
});

describe('the engine: impossible_travel against the previous sign-in', () => {
  it('Berlin, then Sydney 20 minutes later: flagged (and the country-only travel factor gives way)', () => {
    const factors = factorsAfterBerlin(T0 + 20 * MINUTE, SYDNEY, 'AU');
    expect(factors).toContain('impossible_travel');
    expect(factors).not.toContain('travel');
  });

  it('Berlin, then Paris 3 hours later (a flight): not flagged, nor the country-only travel factor', () => {
    const factors = factorsAfterBerlin(T0 + 3 * HOUR, PARIS, 'FR');
    expect(factors).not.toContain('impossible_travel');
    expect(factors).not.toContain('travel');
  });

  it('without coordinates on this sign-in, only the country-only travel factor (another country within 2 hours)', () => {
    const factors = factorsAfterBerlin(T0 + 20 * MINUTE, undefined, 'AU');
    expect(factors).not.toContain('impossible_travel');
    expect(factors).toContain('travel');
  });

  it('absurd coordinates are no place: a latitude beyond ±90° or a lone latitude', () => {
    expect(factorsAfterBerlin(T0 + 20 * MINUTE, { latitude: 123, longitude: 151 }, 'AU')).not.toContain(
      'impossible_travel',
    );
    const engine = createRiskEngine();
    const event = { ...signIn(T0, BERLIN, 'DE', '203.0.113.5'), 'Login Successful': true };
    engine.learn(event);
    const lone = { ...signIn(T0 + MINUTE, SYDNEY, 'AU', '198.51.100.7'), Longitude: undefined };
    expect(engine.assess(lone).factors.map((f) => f.name)).not.toContain('impossible_travel');
  });
});
