/**
 * The sign-in features that follow from the attacker models of docs/risk.md (Wiefling et al.): each is
 * learned online from the stream, and each test compares two situations that differ only in what the
 * feature reads, so that taking the feature out makes the two scores equal.
 */
import { createRiskEngine, type RiskEngine, type RiskEvent } from '@tessera/risk';
import { describe, expect, it } from 'vitest';
import { logErfc, logRelayDensity } from '../src/engine.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

function signIn(overrides: Partial<Record<keyof RiskEvent, unknown>> = {}): RiskEvent {
  return {
    'User ID': 'alice',
    'IP Address': '81.2.69.10',
    ASN: 3320,
    Country: 'DE',
    Region: 'Berlin',
    City: 'Berlin',
    'User Agent String': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.0.0 Safari/537.36',
    'Browser Name and Version': 'Chrome 120.0',
    'OS Name and Version': 'Windows 10',
    'Device Type': 'desktop',
    'Round-Trip Time [ms]': 25,
    'Event Type': 'login',
    'Epoch ms': 10 * DAY + 12 * HOUR,
    'Login Successful': true,
    ...overrides,
  } as RiskEvent;
}

function legit(engine: RiskEngine, event: RiskEvent): void {
  engine.observe(event);
  engine.learn(event);
}

function factor(engine: RiskEngine, event: RiskEvent, name: string): number {
  return engine.assess(event).factors.find((f) => f.name === name)?.value ?? 0;
}

/** `people` people signing in `times` times each, at midday in Germany, from `shape(person, n)`. */
function population(
  engine: RiskEngine,
  people: number,
  times: number,
  shape: (person: number, n: number) => Partial<Record<keyof RiskEvent, unknown>>,
  prefix = 'p',
): void {
  for (let n = 0; n < times; n += 1) {
    for (let person = 0; person < people; person += 1) {
      legit(
        engine,
        signIn({
          'User ID': `${prefix}${person}`,
          'Epoch ms': n * DAY + 10 * HOUR + person * 1000,
          ...shape(person, n),
        }),
      );
    }
  }
}

describe('@tessera/risk sign-in features', () => {
  it('address churn per network: a new address on a home line (people keep theirs) outweighs one on a carrier (CGNAT rotates); RBA: the targeted attacker shares the ISP, not the address', () => {
    const engine = createRiskEngine();
    // Everyone returns to the home ISP from the same address, and to the carrier from a new one.
    population(engine, 40, 3, (p, n) =>
      n % 2 === 0
        ? { ASN: 3320, 'IP Address': `81.2.${p}.10` }
        : { ASN: 26615, 'IP Address': `100.64.${(p * 7 + n) % 250}.${n + 1}` },
    );
    // Alice: twice at home (one address), twice on the carrier (two addresses): her own rates are mixed.
    const alice = [
      { ASN: 3320, 'IP Address': '81.2.200.10' },
      { ASN: 26615, 'IP Address': '100.65.1.1' },
      { ASN: 3320, 'IP Address': '81.2.200.10' },
      { ASN: 26615, 'IP Address': '100.65.2.1' },
    ];
    alice.forEach((at, n) => {
      legit(engine, signIn({ ...at, 'Epoch ms': (5 + n) * DAY + 10 * HOUR }));
    });
    const home = factor(engine, signIn({ ASN: 3320, 'IP Address': '81.2.201.77' }), 'network');
    const carrier = factor(engine, signIn({ ASN: 26615, 'IP Address': '100.65.3.77' }), 'network');
    expect(home - carrier).toBeGreaterThan(1);
  });

  it("round-trip time per network: 1.6× the person's usual RTT is telling on a stable home line, not on a jittery carrier (the targeted attacker cannot copy the RTT)", () => {
    const engine = createRiskEngine();
    population(engine, 40, 4, (p, n) =>
      p % 2 === 0
        ? { ASN: 3320, 'IP Address': `81.2.${p}.10`, 'Round-Trip Time [ms]': 25 + (n % 2) }
        : { ASN: 26615, 'IP Address': `100.64.${p}.10`, 'Round-Trip Time [ms]': [40, 110, 60, 150][n] },
    );
    for (const [n, at] of [
      { ASN: 3320, 'IP Address': '81.2.200.10', 'Round-Trip Time [ms]': 25 },
      { ASN: 26615, 'IP Address': '100.65.1.1', 'Round-Trip Time [ms]': 60 },
    ].entries()) {
      legit(engine, signIn({ ...at, 'Epoch ms': (5 + n) * DAY + 10 * HOUR }));
    }
    const home = factor(
      engine,
      signIn({ ASN: 3320, 'IP Address': '81.2.200.10', 'Round-Trip Time [ms]': 40 }),
      'rtt',
    );
    const carrier = factor(
      engine,
      signIn({ ASN: 26615, 'IP Address': '100.65.1.1', 'Round-Trip Time [ms]': 96 }),
      'rtt',
    );
    expect(home - carrier).toBeGreaterThan(1);
  });

  it("UA popularity: matching a person's exact UA string is weak evidence when everyone uses it (naive and VPN attackers pick popular UAs), strong when it is rare", () => {
    const engine = createRiskEngine();
    population(engine, 100, 1, (p) => ({ 'IP Address': `81.2.${p}.10` }));
    const rare = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';
    legit(engine, signIn({ 'User ID': 'alice', 'Epoch ms': 5 * DAY }));
    legit(engine, signIn({ 'User ID': 'bob', 'User Agent String': rare, 'Epoch ms': 5 * DAY }));
    const elsewhere = { 'IP Address': '45.77.10.20', ASN: 20473, 'Epoch ms': 6 * DAY + 10 * HOUR };
    const popular = factor(engine, signIn({ ...elsewhere, 'User ID': 'alice' }), 'client');
    const unusual = factor(
      engine,
      signIn({ ...elsewhere, 'User ID': 'bob', 'User Agent String': rare }),
      'client',
    );
    // The history ratio's weight (HISTORY_WEIGHT, 0.5) halves the raw log-ratio difference (about 1.6).
    expect(popular - unusual).toBeGreaterThan(0.5);
  });

  it("the network, place and client ratio counts one event once (docs/risk.md item 49): a person's new phone on its carrier in another city, where all three are new at once, ranks below a new address on their own home ISP with their own browser, through a slower path at 03:00 (RBA targeted)", () => {
    const engine = createRiskEngine();
    const iphone =
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
    const phone = {
      ASN: 26615,
      City: 'Hamburg',
      Region: 'Hamburg',
      'User Agent String': iphone,
      'Browser Name and Version': 'Mobile Safari 17.1',
      'OS Name and Version': 'iOS 17.1',
      'Device Type': 'smartphone',
      'Round-Trip Time [ms]': 60,
    };
    for (let n = 0; n < 4; n += 1) {
      for (let p = 0; p < 100; p += 1) {
        const at = n * DAY + (9 + (p % 6)) * HOUR + p * 1000;
        legit(engine, signIn({ 'User ID': `h${p}`, 'IP Address': `81.2.${p}.10`, 'Epoch ms': at }));
        legit(
          engine,
          signIn({ ...phone, 'User ID': `m${p}`, 'IP Address': `100.65.${p % 4}.${n + 1}`, 'Epoch ms': at }),
        );
      }
    }
    for (let n = 0; n < 3; n += 1) {
      legit(engine, signIn({ 'Epoch ms': (5 + n) * DAY + 12 * HOUR }));
    }
    const newPhone = engine.assess(
      signIn({ ...phone, 'IP Address': '100.65.2.9', 'Epoch ms': 9 * DAY + 12 * HOUR }),
    ).score;
    const targeted = engine.assess(
      signIn({ 'IP Address': '81.2.201.77', 'Round-Trip Time [ms]': 40, 'Epoch ms': 9 * DAY + 3 * HOUR }),
    ).score;
    // Counted at full weight, the phone's three novelties (about 11.4 each half) outrank the attack.
    expect(targeted - newPhone).toBeGreaterThan(2);
  });

  it('reputation: an ASN with failed sign-ins across many accounts is attack infrastructure; one never seen is only unknown', () => {
    const engine = createRiskEngine();
    population(engine, 120, 1, (p) => ({ ASN: 3000 + (p % 12), 'IP Address': `81.${p % 12}.${p}.10` }));
    for (let n = 0; n < 60; n += 1) {
      engine.observe(
        signIn({
          'User ID': `victim${n}`,
          ASN: 64500,
          'IP Address': `45.0.${n % 3}.1`,
          'Login Successful': false,
          'Epoch ms': 2 * DAY + n * 1000,
        }),
      );
    }
    // Read a week later: the hour's and the day's velocity have faded, the weeks-long reputation has not.
    const later = { 'User ID': 'newcomer', 'Epoch ms': 9 * DAY };
    const stuffed = factor(engine, signIn({ ...later, ASN: 64500, 'IP Address': '45.0.9.9' }), 'reputation');
    const unknown = factor(engine, signIn({ ...later, ASN: 64501, 'IP Address': '45.1.9.9' }), 'reputation');
    expect(
      factor(engine, signIn({ ...later, ASN: 64500, 'IP Address': '45.0.9.9' }), 'velocity'),
    ).toBeLessThan(0.5);
    expect(stuffed - unknown).toBeGreaterThan(1);
  });

  it("an address on which many accounts arrived as strangers (attacker infrastructure reused across victims, the sign-ins successful) adds risk weeks later; a carrier's CGNAT address its own customers share does not", () => {
    const engine = createRiskEngine();
    // 60 people at home; the first 30 also on a carrier (ASN 5000), then all 30 on one CGNAT address.
    population(engine, 60, 1, (p) => ({ ASN: 3000 + (p % 6), 'IP Address': `81.${p % 6}.${p}.10` }));
    population(engine, 30, 1, (p) => ({ ASN: 5000, 'IP Address': `100.64.1.${p}` }), 'p');
    for (let p = 0; p < 30; p += 1) {
      legit(
        engine,
        signIn({ 'User ID': `p${p}`, ASN: 5000, 'IP Address': '100.64.0.1', 'Epoch ms': 3 * DAY + p * 1000 }),
      );
    }
    // The other 30 people's passwords used from one hosting address, each sign-in accepted.
    for (let p = 30; p < 60; p += 1) {
      engine.observe(
        signIn({
          'User ID': `p${p}`,
          ASN: 64500,
          'IP Address': '45.0.0.7',
          'Epoch ms': 4 * DAY + p * 60_000,
        }),
      );
    }
    // 30 people's very first sign-ins, all on another of the carrier's addresses: no one's stranger.
    population(
      engine,
      30,
      1,
      () => ({ ASN: 5000, 'IP Address': '100.64.0.2', 'Epoch ms': 5 * DAY }),
      'first',
    );
    const later = { 'User ID': 'p0', 'Epoch ms': 20 * DAY };
    const reused = factor(engine, signIn({ ...later, ASN: 64500, 'IP Address': '45.0.0.7' }), 'strangers');
    const cgnat = factor(
      engine,
      signIn({ ...later, 'User ID': 'p40', ASN: 5000, 'IP Address': '100.64.0.1' }),
      'strangers',
    );
    const fresh = factor(engine, signIn({ ...later, ASN: 64500, 'IP Address': '45.0.0.8' }), 'strangers');
    const firsts = factor(
      engine,
      signIn({ ...later, 'User ID': 'p40', ASN: 5000, 'IP Address': '100.64.0.2' }),
      'strangers',
    );
    // Not velocity: the hour's and the day's counts have faded by then.
    expect(factor(engine, signIn({ ...later, ASN: 64500, 'IP Address': '45.0.0.7' }), 'velocity')).toBe(0);
    expect(reused).toBeGreaterThan(2);
    expect(cgnat).toBeLessThan(0.3);
    expect(fresh).toBe(0);
    expect(firsts).toBe(0);
  });

  it('arrivals: on a network new to the person, one where accounts keep arriving and none come back (attack infrastructure, even when every sign-in succeeds) adds risk; one whose arrivals return does not', () => {
    const engine = createRiskEngine();
    population(engine, 60, 1, (p) => ({ ASN: 3000 + (p % 6), 'IP Address': `81.${p % 6}.${p}.10` }));
    // ASN 7000: the first 30 people arrive and come back four times each (an ISP, an office).
    population(engine, 30, 5, (p) => ({
      ASN: 7000,
      'IP Address': `82.0.${p}.1`,
      'Epoch ms': 2 * DAY + p * 1000,
    }));
    // ASN 64500: the other 30 people's passwords, each used once from a different address, accepted.
    for (let p = 30; p < 60; p += 1) {
      engine.observe(
        signIn({
          'User ID': `p${p}`,
          ASN: 64500,
          'IP Address': `45.0.${p}.7`,
          'Epoch ms': 4 * DAY + p * 60_000,
        }),
      );
    }
    const later = { 'User ID': 'p40', 'Epoch ms': 20 * DAY };
    const oneOff = factor(engine, signIn({ ...later, ASN: 64500, 'IP Address': '45.1.0.1' }), 'arrivals');
    const returning = factor(engine, signIn({ ...later, ASN: 7000, 'IP Address': '82.1.0.1' }), 'arrivals');
    expect(oneOff).toBeGreaterThan(2);
    expect(returning).toBeLessThan(1);
    // A person who has used the network is no stranger to it: the factor is not applied.
    expect(
      factor(engine, signIn({ ...later, 'User ID': 'p0', ASN: 7000, 'IP Address': '82.1.0.1' }), 'arrivals'),
    ).toBe(0);
  });

  it('reputation counts people arriving, not sign-ins: one heavy user does not make an ASN a consumer ISP', () => {
    const engine = createRiskEngine();
    population(engine, 100, 1, (p) => ({ ASN: 3000 + (p % 10), 'IP Address': `81.${p % 10}.${p}.10` }));
    // ASN 4000: 40 people once each. ASN 4001: one person 40 times.
    population(engine, 40, 1, (p) => ({ ASN: 4000, 'IP Address': `82.0.${p}.1` }), 'crowd');
    population(engine, 1, 40, () => ({ ASN: 4001, 'IP Address': '82.1.0.1' }), 'heavy');
    const at = { 'User ID': 'newcomer', 'Epoch ms': 41 * DAY };
    const crowd = factor(engine, signIn({ ...at, ASN: 4000, 'IP Address': '82.0.200.1' }), 'reputation');
    const heavy = factor(engine, signIn({ ...at, ASN: 4001, 'IP Address': '82.1.200.1' }), 'reputation');
    expect(heavy - crowd).toBeGreaterThan(1);
  });

  it("a network new to the person that exits in many countries (VPN, hosting; RBA: the VPN attacker comes from the victim's country through one) adds risk; a national one does not", () => {
    const engine = createRiskEngine();
    population(engine, 120, 1, (p) => ({ ASN: 3000 + (p % 12), 'IP Address': `81.${p % 12}.${p}.10` }));
    for (const [n, country] of ['DE', 'FR', 'NL', 'US'].entries()) {
      engine.observe(
        signIn({
          'User ID': `x${n}`,
          ASN: 9009,
          Country: country,
          'IP Address': `185.0.${n}.1`,
          'Epoch ms': 2 * DAY,
        }),
      );
    }
    engine.observe(signIn({ 'User ID': 'y', ASN: 9010, 'IP Address': '185.1.0.1', 'Epoch ms': 2 * DAY }));
    const at = { 'Epoch ms': 3 * DAY + 10 * HOUR, 'User ID': 'p5' };
    expect(
      factor(engine, signIn({ ...at, ASN: 9009, 'IP Address': '185.0.9.9' }), 'network_spread'),
    ).toBeGreaterThan(1);
    expect(factor(engine, signIn({ ...at, ASN: 9010, 'IP Address': '185.1.9.9' }), 'network_spread')).toBe(0);
  });

  it("hour of day from the first earlier sign-in on, shrunk towards the home country's hours: 03:00 is unusual for a person of a daytime country (the attacker does not know the person's hours)", () => {
    const engine = createRiskEngine();
    population(engine, 60, 2, (p, n) => ({
      'IP Address': `81.2.${p}.10`,
      'Epoch ms': n * DAY + (8 + (p % 10)) * HOUR,
    }));
    legit(engine, signIn({ 'User ID': 'alice', 'IP Address': '81.3.0.1', 'Epoch ms': 5 * DAY + 10 * HOUR }));
    const night = factor(
      engine,
      signIn({ 'User ID': 'alice', 'IP Address': '81.3.0.1', 'Epoch ms': 6 * DAY + 3 * HOUR }),
      'hour',
    );
    const day = factor(
      engine,
      signIn({ 'User ID': 'alice', 'IP Address': '81.3.0.1', 'Epoch ms': 6 * DAY + 12 * HOUR }),
      'hour',
    );
    expect(night).toBeGreaterThan(1);
    expect(day).toBeLessThan(0);
  });
  it("hour of day smoothed over the person's neighbouring hours: two hours from their usual ones counts for them, twelve hours away against them", () => {
    const engine = createRiskEngine();
    // No country: the person's own hours speak from the third sign-in on, against a uniform prior.
    for (let n = 0; n < 5; n += 1) {
      legit(engine, signIn({ Country: undefined, 'Epoch ms': n * DAY + 9 * HOUR }));
    }
    const near = factor(engine, signIn({ Country: undefined, 'Epoch ms': 6 * DAY + 11 * HOUR }), 'hour');
    const far = factor(engine, signIn({ Country: undefined, 'Epoch ms': 6 * DAY + 21 * HOUR }), 'hour');
    expect(near).toBeLessThan(-0.5);
    expect(far).toBeGreaterThan(1);
  });
  it("hour of day from one earlier sign-in: how far one person's hours spread is learned from everyone returning, so the same country's hours predict a regular person's next hour narrowly and an irregular person's broadly", () => {
    // Both populations fill the country's hours alike (08:00 to 17:00, evenly); in the first each
    // person keeps their hour, in the second each person's hour moves around the whole range.
    const regular = createRiskEngine();
    const irregular = createRiskEngine();
    for (const [engine, hourOf] of [
      [regular, (p: number) => 8 + (p % 10)],
      [irregular, (p: number, n: number) => 8 + ((p + 3 * n) % 10)],
    ] as const) {
      population(engine, 60, 4, (p, n) => ({
        'IP Address': `81.2.${p}.10`,
        'Epoch ms': n * DAY + hourOf(p, n) * HOUR,
      }));
      legit(
        engine,
        signIn({ 'User ID': 'alice', 'IP Address': '81.3.0.1', 'Epoch ms': 5 * DAY + 10 * HOUR }),
      );
    }
    const later = signIn({ 'User ID': 'alice', 'IP Address': '81.3.0.1', 'Epoch ms': 6 * DAY + 15 * HOUR });
    expect(factor(regular, later, 'hour')).toBeGreaterThan(2);
    expect(factor(irregular, later, 'hour')).toBeLessThan(0);
  });
  it('hour of day for a person with two usual hours (08:00 and 20:00): neither counts against them, though their mean hour lies between', () => {
    const engine = createRiskEngine();
    population(engine, 60, 4, (p, n) => ({
      'IP Address': `81.2.${p}.10`,
      'Epoch ms': n * DAY + (9 + (p % 3)) * HOUR,
    }));
    for (let n = 0; n < 12; n += 1) {
      legit(
        engine,
        signIn({ 'IP Address': '81.3.0.1', 'Epoch ms': (5 + n) * DAY + (n % 2 === 0 ? 8 : 20) * HOUR }),
      );
    }
    for (const hour of [8, 20]) {
      const usual = signIn({ 'IP Address': '81.3.0.1', 'Epoch ms': 20 * DAY + hour * HOUR });
      expect(factor(engine, usual, 'hour')).toBeLessThan(1);
    }
  });
  it("hour of day with nothing known of the person's hours (a history whose hour counts are empty, no country): no hour counts against them", () => {
    const engine = createRiskEngine();
    for (let n = 0; n < 4; n += 1) {
      legit(engine, signIn({ Country: undefined, 'Epoch ms': n * DAY + 9 * HOUR }));
    }
    const profile = engine.exportProfile('alice');
    expect(profile).toBeDefined();
    if (profile !== undefined) {
      profile.hours.fill(0);
      engine.importProfile('alice', profile);
    }
    for (const hour of [3, 9, 21]) {
      const value = factor(engine, signIn({ Country: undefined, 'Epoch ms': 6 * DAY + hour * HOUR }), 'hour');
      expect(Math.abs(value)).toBeLessThan(0.01);
    }
  });
  it("round-trip time on a network new to the person, against everyone's on that network in that country: a proxy in front of the attacker (RBA targeted: the victim's ISP) adds its hop", () => {
    const engine = createRiskEngine();
    population(engine, 40, 2, (p, n) => ({
      ASN: 3320,
      'IP Address': `81.2.${p}.10`,
      'Round-Trip Time [ms]': 22 + ((p + n) % 7),
    }));
    // Alice has signed in once, from her carrier (60 ms); now she (or someone) is on the home ISP.
    legit(engine, signIn({ ASN: 26615, 'IP Address': '100.65.1.1', 'Round-Trip Time [ms]': 60 }));
    const onIsp = { ASN: 3320, 'IP Address': '81.2.230.7', 'Epoch ms': 11 * DAY + 12 * HOUR };
    const likeItsPeople = factor(engine, signIn({ ...onIsp, 'Round-Trip Time [ms]': 25 }), 'rtt');
    const throughAProxy = factor(engine, signIn({ ...onIsp, 'Round-Trip Time [ms]': 52 }), 'rtt');
    expect(likeItsPeople).toBeLessThan(0);
    expect(throughAProxy - likeItsPeople).toBeGreaterThan(2);
  });

  it("UA version drift only goes forward: an older major version than the person's newest on that browser is an attacker's copied string, less so for a person who keeps two devices of one kind", () => {
    const engine = createRiskEngine();
    const chrome = (v: number) => ({
      'User Agent String': `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`,
      'Browser Name and Version': `Chrome ${v}.0`,
    });
    // Everyone's browser moves forward.
    population(engine, 40, 3, (p, n) => ({ 'IP Address': `81.2.${p}.10`, ...chrome(118 + n) }));
    // Alice updated 118 → 121; Bob alternates between an updated laptop and an old desktop.
    [118, 119, 120, 121].forEach((v, n) => {
      legit(engine, signIn({ 'User ID': 'alice', 'Epoch ms': (5 + n) * DAY + 12 * HOUR, ...chrome(v) }));
    });
    [121, 118, 121, 118].forEach((v, n) => {
      legit(engine, signIn({ 'User ID': 'bob', 'Epoch ms': (5 + n) * DAY + 12 * HOUR, ...chrome(v) }));
    });
    const at = { 'Epoch ms': 12 * DAY + 12 * HOUR };
    const copied = factor(engine, signIn({ ...at, 'User ID': 'alice', ...chrome(119) }), 'client_version');
    const current = factor(engine, signIn({ ...at, 'User ID': 'alice', ...chrome(121) }), 'client_version');
    const bobs = factor(engine, signIn({ ...at, 'User ID': 'bob', ...chrome(119) }), 'client_version');
    expect(copied).toBeGreaterThan(1.5);
    expect(current).toBe(0);
    expect(copied - bobs).toBeGreaterThan(1);
    // Without the browser column the version is read from the UA string.
    const uaOnly = { ...at, 'User ID': 'alice', ...chrome(119), 'Browser Name and Version': undefined };
    expect(factor(engine, signIn(uaOnly), 'client_version')).toBeCloseTo(copied);
  });
  it("a /24 new to the person that others have signed in from (a colleague's office, a carrier's pool) is less an attacker's than one nobody has used (attacker infrastructure)", () => {
    const engine = createRiskEngine();
    // People move between /24s of one ISP; about half of the moves land on a /24 someone used before.
    population(engine, 40, 4, (p, n) => ({ ASN: 3320, 'IP Address': `81.2.${(p + n * 20) % 250}.10` }));
    legit(engine, signIn({ ASN: 3320, 'IP Address': '81.2.240.10', 'Epoch ms': 11 * DAY }));
    const at = { ASN: 3320, 'Epoch ms': 12 * DAY + 12 * HOUR };
    const used = factor(engine, signIn({ ...at, 'IP Address': '81.2.10.99' }), 'prefix_known');
    const unused = factor(engine, signIn({ ...at, 'IP Address': '81.2.201.99' }), 'prefix_known');
    expect(used).toBeLessThan(0);
    expect(unused - used).toBeGreaterThan(1);
  });

  it("round-trip time through a relay only goes up: on the person's own network, 1.65× their usual RTT is an attacker's proxy more than 1/1.65× is (RBA targeted: a residential proxy on the victim's ISP)", () => {
    const engine = createRiskEngine();
    population(engine, 40, 4, (p, n) => ({
      ASN: 3320,
      'IP Address': `81.2.${p}.10`,
      'Round-Trip Time [ms]': [20, 25, 31, 25][n],
    }));
    for (const [n, rtt] of [22, 25, 28].entries()) {
      legit(engine, signIn({ 'Round-Trip Time [ms]': rtt, 'Epoch ms': (5 + n) * DAY + 10 * HOUR }));
    }
    const at = { 'IP Address': '81.2.201.77', 'Epoch ms': 11 * DAY + 10 * HOUR };
    const slower = factor(engine, signIn({ ...at, 'Round-Trip Time [ms]': 25 * Math.exp(0.5) }), 'rtt');
    const faster = factor(engine, signIn({ ...at, 'Round-Trip Time [ms]': 25 * Math.exp(-0.5) }), 'rtt');
    expect(slower).toBeGreaterThan(1);
    expect(slower - faster).toBeGreaterThan(1.5);
  });

  it('the relay density is a density: log erfc is accurate and the jitter-plus-overhead density integrates to 1', () => {
    expect(Math.exp(logErfc(1))).toBeCloseTo(0.157299207, 6);
    expect(Math.exp(logErfc(-1))).toBeCloseTo(1.842700793, 6);
    expect(logErfc(10)).toBeCloseTo(Math.log(2.088487583762545e-45), 4);
    let total = 0;
    for (let d = -3; d < 6; d += 0.001) {
      total += Math.exp(logRelayDensity(d, 0.07, 2)) * 0.001;
    }
    expect(total).toBeCloseTo(1, 3);
  });

  it("a person's RTT from one sign-in is shrunk towards their network's people, as far as those differ from each other: on an ISP whose customers all sit near 25 ms, 45 ms after one 30 ms sign-in is a relay's, on one whose customers differ widely it is not", () => {
    const engine = createRiskEngine();
    const jitter = [0.9, 1.1, 0.95, 1.05];
    // The same jitter per person on both networks; on 3320 everyone near 25 ms, on 6805 from 7 to 83 ms.
    population(engine, 40, 4, (p, n) =>
      p % 2 === 0
        ? { ASN: 3320, 'IP Address': `81.2.${p}.10`, 'Round-Trip Time [ms]': 25 * (jitter[n] ?? 1) }
        : {
            ASN: 6805,
            'IP Address': `92.1.${p}.10`,
            'Round-Trip Time [ms]': 25 * Math.exp(((p % 9) - 4) * 0.3) * (jitter[n] ?? 1),
          },
    );
    legit(engine, signIn({ ASN: 3320, 'IP Address': '81.2.200.10', 'Round-Trip Time [ms]': 30 }));
    legit(
      engine,
      signIn({ ASN: 6805, 'IP Address': '92.1.200.10', 'Round-Trip Time [ms]': 30, 'Epoch ms': 11 * DAY }),
    );
    const at = { 'Round-Trip Time [ms]': 45, 'Epoch ms': 12 * DAY + 12 * HOUR };
    const alike = factor(engine, signIn({ ...at, ASN: 3320, 'IP Address': '81.2.200.10' }), 'rtt');
    const diverse = factor(engine, signIn({ ...at, ASN: 6805, 'IP Address': '92.1.200.10' }), 'rtt');
    expect(alike - diverse).toBeGreaterThan(0.5);
  });
});
