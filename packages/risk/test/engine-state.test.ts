/**
 * The engine's state outside the process (issue "Risk engine", item 4): a person's history as a
 * versioned string that scores the same after a round trip, and the global tables as additive
 * deltas that nodes drain, sum in a store and load, so every node scores alike.
 */
import {
  createRiskEngine,
  decodeProfile,
  encodeProfile,
  type RiskEngine,
  type RiskEvent,
  RiskProfileFormatError,
  summarizeProfile,
} from '@tessera/risk';
import { describe, expect, it } from 'vitest';
import { simulate } from '../src/sim/simulate.js';

const legit = simulate({
  seed: 7,
  users: 200,
  days: 60,
  churn: 'medium',
  attacksPerModel: 0,
  replaysPerModel: 0,
})
  .filter(({ truth, event }) => truth.kind === 'legit' && event['Event Type'] === 'login')
  .map(({ event }) => event)
  .filter((event) => event['Login Successful'] === true);

/** A store's risk_global table: keys summed. */
function sumInto(table: Map<string, number>, delta: Record<string, number>): void {
  for (const [key, amount] of Object.entries(delta)) {
    table.set(key, (table.get(key) ?? 0) + amount);
  }
}

/** One engine alone and two sharing their velocity sums, each having learned `legit`. */
function nodesWithHistory(): [RiskEngine, RiskEngine, RiskEngine] {
  const nodes: [RiskEngine, RiskEngine, RiskEngine] = [
    createRiskEngine(),
    createRiskEngine({ shareVelocity: true }),
    createRiskEngine({ shareVelocity: true }),
  ];
  for (const node of nodes) {
    for (const event of legit) {
      node.learn(event);
    }
  }
  return nodes;
}

/**
 * Two nodes exchange what they observed (the velocity sums, keys `h…`), as through the store; what
 * was learned is alike on both already.
 */
function exchangeObserved(a: RiskEngine, b: RiskEngine): void {
  const table = new Map<string, number>();
  for (const node of [a, b]) {
    const delta = Object.entries(node.takeGlobalDelta()).filter(([key]) => key.startsWith('h'));
    sumInto(table, Object.fromEntries(delta));
  }
  for (const node of [a, b]) {
    node.applyGlobal(Object.fromEntries(table));
  }
}

const scores = (engine: RiskEngine, events: readonly RiskEvent[]) =>
  events.map((event) => engine.assess(event));

/** Each person's last sign-in, moved to another address and browser, a week later. */
function probes(events: readonly RiskEvent[]): RiskEvent[] {
  const last = new Map<string, RiskEvent>();
  for (const event of events) {
    last.set(String(event['User ID']), event);
  }
  return [...last.values()].slice(0, 40).flatMap((event) => {
    const at = Number(event['Epoch ms']) + 7 * 86_400_000;
    return [
      { ...event, 'Epoch ms': at },
      { ...event, 'Epoch ms': at, 'IP Address': '45.77.10.20', ASN: 20473, Country: 'NL' },
    ];
  });
}

describe('@tessera/risk: state outside the process', () => {
  it('a history round-trips: the same assess() in a fresh engine given the string and the global sums', () => {
    const node = createRiskEngine();
    for (const event of legit) {
      node.learn(event);
    }
    const sums = node.takeGlobalDelta();
    const fresh = createRiskEngine();
    fresh.applyGlobal(sums);
    const users = new Set(legit.map((event) => String(event['User ID'])));
    for (const user of users) {
      const profile = node.exportProfile(user);
      if (profile !== undefined) {
        const text = encodeProfile(profile);
        expect(encodeProfile(decodeProfile(text))).toBe(text);
        fresh.importProfile(user, decodeProfile(text));
      }
    }
    const checked = probes(legit);
    expect(checked.length).toBeGreaterThan(40);
    const before = scores(node, checked);
    expect(scores(fresh, checked)).toEqual(before);
    // Not trivially equal: some sign-ins score high, some low.
    expect(Math.max(...before.map((a) => a.score)) - Math.min(...before.map((a) => a.score))).toBeGreaterThan(
      5,
    );
  });

  it('without the history, the same person is scored as new (the import is what carries it)', () => {
    const node = createRiskEngine();
    for (const event of legit) {
      node.learn(event);
    }
    const fresh = createRiskEngine();
    fresh.applyGlobal(node.takeGlobalDelta());
    const [probe] = probes(legit);
    expect(fresh.assess(probe as RiskEvent)).not.toEqual(node.assess(probe as RiskEvent));
  });

  it('two nodes learning different people converge through summed deltas', () => {
    const a = createRiskEngine();
    const b = createRiskEngine();
    const table = new Map<string, number>();
    legit.forEach((event, i) => {
      (i % 2 === 0 ? a : b).learn(event);
      if (i % 97 === 0) {
        // Every few sign-ins each node flushes and reloads, as the server does every few seconds.
        for (const node of [a, b]) {
          sumInto(table, node.takeGlobalDelta());
          node.applyGlobal(Object.fromEntries(table));
        }
      }
    });
    for (const node of [a, b]) {
      sumInto(table, node.takeGlobalDelta());
    }
    for (const node of [a, b]) {
      node.applyGlobal(Object.fromEntries(table));
    }
    // With the same histories in both (as when each reads the person's row from the store) …
    const users = new Set(legit.map((event) => String(event['User ID'])));
    for (const user of users) {
      const profile = a.exportProfile(user) ?? b.exportProfile(user);
      if (profile !== undefined) {
        a.importProfile(user, decodeProfile(encodeProfile(profile)));
        b.importProfile(user, decodeProfile(encodeProfile(profile)));
      }
    }
    const checked = probes(legit);
    expect(scores(b, checked)).toEqual(scores(a, checked));
  });

  it('velocity shared: failed sign-ins spread over two nodes score on each as if one node saw them all', () => {
    const at = Number(legit[0]?.['Epoch ms']);
    const attempt = (n: number): RiskEvent => ({
      'User ID': `victim${n % 5}`,
      'IP Address': '45.77.10.20',
      ASN: 20473,
      'Event Type': 'login',
      'Epoch ms': at + n * 1000,
      'Login Successful': false,
    });
    const probe: RiskEvent = { ...attempt(40), 'User ID': 'victim1' };
    const velocity = (engine: RiskEngine) =>
      engine.assess(probe).factors.find((factor) => factor.name === 'velocity')?.value ?? 0;
    const one = createRiskEngine();
    const a = createRiskEngine({ shareVelocity: true });
    const b = createRiskEngine({ shareVelocity: true });
    for (let n = 0; n < 30; n += 1) {
      one.observe(attempt(n));
      (n % 2 === 0 ? a : b).observe(attempt(n));
    }
    const alone = velocity(a);
    const table = new Map<string, number>();
    for (const node of [a, b]) {
      sumInto(table, node.takeGlobalDelta());
    }
    // Velocity keys hold no address or account id, only hashes.
    expect([...table.keys()].join(' ')).not.toMatch(/45\.77|victim/);
    for (const node of [a, b]) {
      node.applyGlobal(Object.fromEntries(table));
    }
    expect(velocity(one)).toBeGreaterThan(alone + 0.5);
    expect(velocity(a)).toBeCloseTo(velocity(one), 6);
    expect(velocity(b)).toBeCloseTo(velocity(one), 6);
    // Not shared (the default): nothing is kept for a store.
    expect(Object.keys(one.takeGlobalDelta())).toEqual([]);
  });

  it('reputation and network_spread shared: failures and countries on an ASN seen by two nodes score on each as one node would', () => {
    const at = Number(legit.at(-1)?.['Epoch ms']) + 86_400_000;
    const person = legit[0] as RiskEvent;
    const own = new Set(legit.filter((e) => e['User ID'] === person['User ID']).map((e) => e.ASN));
    // An ASN others sign in from legitimately (so its reputation is not pinned at the bound), new to the person.
    const asn = legit.find((e) => !own.has(e.ASN))?.ASN as number;
    const countries = ['NL', 'DE', 'US', 'SG'];
    const attempt = (n: number, on: number): RiskEvent => ({
      'User ID': `victim${n}`,
      'IP Address': `45.77.${n}.20`,
      ASN: on,
      Country: countries[n % 4] as string,
      'Event Type': 'login',
      'Epoch ms': at + n * 3_600_000,
      'Login Successful': false,
    });
    // A person with a history, on an ASN new to them (where both factors speak).
    const probe: RiskEvent = {
      ...person,
      'IP Address': '45.77.200.20',
      ASN: asn,
      'Epoch ms': at + 90 * 3_600_000,
    };
    const factor = (engine: RiskEngine, name: string) =>
      engine.assess(probe).factors.find((f) => f.name === name)?.value ?? 0;
    const [one, a, b] = nodesWithHistory();
    // Failed sign-ins on that ASN from four countries, each node seeing two of them; node b also
    // sees failures on another ASN, which lowers that ASN's share of all failures.
    for (let n = 0; n < 24; n += 1) {
      one.observe(attempt(n, asn));
      (n % 4 < 2 ? a : b).observe(attempt(n, asn));
    }
    for (let n = 24; n < 64; n += 1) {
      one.observe(attempt(n, 64_500));
      b.observe(attempt(n, 64_500));
    }
    const alone = { reputation: factor(a, 'reputation'), spread: factor(a, 'network_spread') };
    expect(alone.spread).toBe(0); // two countries on this node: not a network spanning three
    exchangeObserved(a, b);
    expect(factor(one, 'network_spread')).toBeGreaterThan(0);
    expect(Math.abs(factor(one, 'reputation') - alone.reputation)).toBeGreaterThan(0.1);
    for (const node of [a, b]) {
      expect(factor(node, 'network_spread')).toBeCloseTo(factor(one, 'network_spread'), 6);
      expect(factor(node, 'reputation')).toBeCloseTo(factor(one, 'reputation'), 6);
    }
  });

  it('strangers and arrivals shared: accounts arriving on one address, seen half by each of two nodes, score on each as one node would', () => {
    const at = Number(legit.at(-1)?.['Epoch ms']) + 86_400_000;
    const people = [...new Set(legit.map((e) => String(e['User ID'])))];
    // Accepted sign-ins into 6 people's accounts from one hosting address, new to each of them.
    const arrival = (n: number): RiskEvent => ({
      'User ID': people[n + 1] as string,
      'IP Address': '45.77.9.20',
      ASN: 64_500,
      Country: 'NL',
      'Event Type': 'login',
      'Epoch ms': at + n * 3_600_000,
      'Login Successful': true,
    });
    // The next arrival there: a person with a history, the address and its ASN new to them.
    const probe: RiskEvent = {
      ...(legit.find((e) => e['User ID'] === people[0]) as RiskEvent),
      ...arrival(40),
      'User ID': people[0] as string,
    };
    const factor = (engine: RiskEngine, name: string) =>
      engine.assess(probe).factors.find((f) => f.name === name)?.value ?? 0;
    const [one, a, b] = nodesWithHistory();
    for (let n = 0; n < 6; n += 1) {
      one.observe(arrival(n));
      (n % 2 === 0 ? a : b).observe(arrival(n));
    }
    const alone = { strangers: factor(a, 'strangers'), arrivals: factor(a, 'arrivals') };
    exchangeObserved(a, b);
    expect(factor(one, 'strangers')).toBeGreaterThan(alone.strangers + 0.1);
    expect(factor(one, 'arrivals')).toBeGreaterThan(alone.arrivals + 0.1);
    for (const node of [a, b]) {
      expect(factor(node, 'strangers')).toBeCloseTo(factor(one, 'strangers'), 6);
      expect(factor(node, 'arrivals')).toBeCloseTo(factor(one, 'arrivals'), 6);
    }
  });

  it('undrained learning survives a load: a key becomes the stored sum plus what is not yet taken', () => {
    const node = createRiskEngine();
    const event = legit[0] as RiskEvent;
    const newcomer = { ...event, 'User ID': 'newcomer' };
    const reputation = () =>
      node.assess(newcomer).factors.find((factor) => factor.name === 'reputation')?.value ?? 0;
    // Reputation speaks once 100 people's arrivals are known: 99 in the store, one learned here.
    node.applyGlobal({ 'c:legit': 99 });
    expect(reputation()).toBe(0);
    node.learn(event);
    node.applyGlobal({ 'c:legit': 99 });
    expect(reputation()).not.toBe(0);
    const delta = node.takeGlobalDelta();
    expect(delta['c:legit']).toBe(1);
    expect(delta['c:signIns']).toBe(1);
    // A delta that could not be stored is given back and taken again with the next.
    node.restoreGlobalDelta(delta);
    node.learn({ ...event, 'Epoch ms': Number(event['Epoch ms']) + 1 });
    expect(node.takeGlobalDelta()['c:signIns']).toBe(2);
  });

  it('a profile-only learn (re-applied after a lost write race) changes the history, not the global tables', () => {
    const node = createRiskEngine();
    const event = legit[0] as RiskEvent;
    node.learn(event, { profileOnly: true });
    expect(node.takeGlobalDelta()).toEqual({});
    expect(node.exportProfile(String(event['User ID']))?.logins).toBe(1);
    node.learn(event);
    expect(node.takeGlobalDelta()['c:signIns']).toBe(1);
  });

  it('a corrupt or unknown history string is refused, never scored with', () => {
    const node = createRiskEngine();
    node.learn(legit[0] as RiskEvent);
    const text = encodeProfile(node.exportProfile(String(legit[0]?.['User ID'])) ?? expect.fail());
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    const b64 = (array: Uint8Array) => btoa(String.fromCharCode(...array));
    const unknown = bytes.slice();
    unknown[0] = 9;
    expect(() => decodeProfile(b64(unknown))).toThrow(/unknown risk profile format 9/);
    expect(() => decodeProfile(b64(bytes.slice(0, 100)))).toThrow(RiskProfileFormatError);
    expect(() => decodeProfile('***')).toThrow(RiskProfileFormatError);
    expect(() => decodeProfile('')).toThrow(RiskProfileFormatError);
    const nan = bytes.slice();
    new DataView(nan.buffer).setFloat64(nan.length - 24, Number.NaN, true);
    expect(() => decodeProfile(b64(nan))).toThrow(/not finite/);
  });

  it('the last sign-in coordinates (impossible_travel) round-trip; unknown stays NaN, out of range is refused', () => {
    const node = createRiskEngine();
    node.learn(legit[0] as RiskEvent);
    const profile = node.exportProfile(String(legit[0]?.['User ID'])) ?? expect.fail();
    expect(Number.isNaN(decodeProfile(encodeProfile(profile)).lastLatitude)).toBe(true);
    profile.lastLatitude = 52.5;
    profile.lastLongitude = 13.4;
    const back = decodeProfile(encodeProfile(profile));
    expect([back.lastLatitude, back.lastLongitude]).toEqual([52.5, 13.4]);
    profile.lastLongitude = 181;
    expect(() => decodeProfile(encodeProfile(profile))).toThrow(/lastLongitude is out of range/);
  });

  it("the device level (`Device ID`, the server's device cookie) round-trips: a device known before the trip is known after it", () => {
    const node = createRiskEngine();
    const first = legit[0] as RiskEvent;
    const user = String(first['User ID']);
    const at = Number(first['Epoch ms']);
    for (let i = 0; i < 3; i += 1) {
      node.learn({ ...first, 'Device ID': 'device-digest-1', 'Epoch ms': at + i * 3_600_000 });
    }
    const fresh = createRiskEngine();
    fresh.applyGlobal(node.takeGlobalDelta());
    const text = encodeProfile(node.exportProfile(user) ?? expect.fail());
    fresh.importProfile(user, decodeProfile(text));
    const later = at + 86_400_000;
    const deviceOf = (engine: RiskEngine, id: string) =>
      engine
        .assess({ ...first, 'Device ID': id, 'Epoch ms': later })
        .factors.find((factor) => factor.name === 'device')?.value;
    expect(deviceOf(fresh, 'device-digest-1')).toBe(-3);
    expect(deviceOf(fresh, 'device-digest-2')).toBe(0.5);
    expect(summarizeProfile(decodeProfile(text)).levels.deviceId).toHaveLength(1);
  });

  it('the readable summary shows hashes, weights and counts, no raw address or UA', () => {
    const node = createRiskEngine();
    const event = legit[0] as RiskEvent;
    node.learn(event);
    const summary = summarizeProfile(node.exportProfile(String(event['User ID'])) ?? expect.fail());
    expect(summary.signIns).toBe(1);
    expect(summary.levels.ip?.[0]?.hash).toMatch(/^[0-9a-f]{8}$/);
    const json = JSON.stringify(summary);
    expect(json).not.toContain(String(event['IP Address']));
    expect(json).not.toContain(String(event['User Agent String']).slice(0, 20));
  });
});
