/**
 * The simulator builds the attacker models of issue 15 as described in docs/risk.md, and the runner
 * hands `score` events without labels. Each check reads the stream, not the simulator's internals.
 */
import type { RiskEvent } from '@tessera/risk';
import { LABEL_COLUMNS } from '@tessera/risk';
import type { Scorer } from '@tessera/risk/eval';
import { describe, expect, it } from 'vitest';
import { withDeviceCookies } from '../src/sim/device-cookies.js';
import { runStream } from '../src/sim/evaluate.js';
import { simulate } from '../src/sim/simulate.js';
import { withoutRoundTrips } from '../src/sim/without-round-trips.js';

const stream = simulate({
  seed: 5,
  users: 300,
  days: 90,
  churn: 'medium',
  attacksPerModel: 60,
  replaysPerModel: 20,
});
const legitSignIns = stream.filter((e) => e.truth.kind === 'legit' && e.event['Event Type'] === 'login');

function history(user: string, before: number): RiskEvent[] {
  return legitSignIns
    .filter((e) => e.truth.user === user && (e.event['Epoch ms'] as number) < before)
    .map((e) => e.event);
}

describe('simulator: the attacker models', () => {
  it('sign-in counts are heavy-tailed with a median of about 2', () => {
    const counts = new Map<string, number>();
    for (const e of legitSignIns) {
      if (e.event['Login Successful'] === true) {
        counts.set(e.truth.user, (counts.get(e.truth.user) ?? 0) + 1);
      }
    }
    const sorted = [...counts.values()].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeGreaterThanOrEqual(1);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThanOrEqual(3);
    expect(sorted[sorted.length - 1]).toBeGreaterThan(20);
  });

  it('naive attackers come from networks no legitimate person uses; VPN attackers from the victim country', () => {
    const legitAsns = new Set(legitSignIns.map((e) => e.event.ASN));
    const naive = stream.filter((e) => e.truth.kind === 'naive');
    expect(naive.length).toBe(60);
    expect(naive.every((e) => !legitAsns.has(e.event.ASN))).toBe(true);
    let sameCountry = 0;
    const vpn = stream.filter((x) => x.truth.kind === 'vpn');
    for (const e of vpn) {
      // The victim's country: where most of their sign-ins are (travel aside).
      const countries = legitSignIns.filter((l) => l.truth.user === e.truth.user).map((l) => l.event.Country);
      const home = countries.sort(
        (a, b) => countries.filter((c) => c === b).length - countries.filter((c) => c === a).length,
      )[0];
      sameCountry += e.event.Country === home ? 1 : 0;
    }
    expect(sameCountry / vpn.length).toBeGreaterThan(0.9);
  });

  it("targeted attackers use the victim's ISP and city (most victims have signed in from them before)", () => {
    let withHistory = 0;
    let sameIsp = 0;
    let sameCity = 0;
    for (const e of stream.filter((x) => x.truth.kind === 'targeted')) {
      const past = history(e.truth.user, e.event['Epoch ms'] as number);
      if (past.length === 0) {
        continue;
      }
      withHistory += 1;
      sameIsp += past.some((p) => p.ASN === e.event.ASN) ? 1 : 0;
      sameCity += past.some((p) => p.City === e.event.City) ? 1 : 0;
    }
    expect(withHistory).toBeGreaterThan(10);
    expect(sameIsp / withHistory).toBeGreaterThan(0.6);
    expect(sameCity / withHistory).toBeGreaterThan(0.6);
  });

  it("the runner's rows say what the targeted-attacker table splits by: the victim's distance class and whether the victim's ISP was in their history", () => {
    const rows = runStream(stream, { score: () => 0, learn: () => undefined });
    const targetedEvents = stream.filter((x) => x.truth.kind === 'targeted');
    const targetedRows = rows.filter((r) => r.kind === 'targeted');
    expect(targetedRows).toHaveLength(targetedEvents.length);
    targetedEvents.forEach((e, i) => {
      const row = targetedRows[i];
      const known = history(e.truth.user, e.event['Epoch ms'] as number).some((p) => p.ASN === e.event.ASN);
      expect(row?.knownNetwork).toBe(known);
      expect([0, 1, 2]).toContain(row?.distance);
      expect(row?.distance).toBe(e.truth.distance);
    });
    expect(new Set(targetedRows.map((r) => r.distance)).size).toBe(3);
    expect(targetedRows.some((r) => r.knownNetwork)).toBe(true);
    expect(targetedRows.some((r) => !r.knownNetwork)).toBe(true);
  });

  it("token replays name the victim's session; from behind the victim's NAT they carry its address and UA", () => {
    const logins = new Map(legitSignIns.map((e) => [e.event['Session ID'], e.event]));
    for (const e of stream.filter((x) => x.truth.kind === 'replay_victim_nat')) {
      const login = logins.get(e.event['Session ID']);
      expect(login?.['IP Address']).toBe(e.event['IP Address']);
      expect(login?.['User Agent String']).toBe(e.event['User Agent String']);
    }
    for (const e of stream.filter((x) => x.truth.kind === 'replay_other_network')) {
      const login = logins.get(e.event['Session ID']);
      expect(login?.ASN).not.toBe(e.event.ASN);
      expect(login?.['User Agent String']).toBe(e.event['User Agent String']);
    }
  });

  it('the runner gives score no label, then observe the outcome, then learn only legitimate successful sign-ins', () => {
    const calls: string[] = [];
    const spy: Scorer = {
      score(event) {
        for (const label of LABEL_COLUMNS) {
          expect(label in event, label).toBe(false);
        }
        calls.push('score');
        return 0;
      },
      observe(event) {
        expect('Login Successful' in event).toBe(true);
        calls.push('observe');
      },
      learn() {
        calls.push('learn');
      },
    };
    const small = stream.slice(0, 2000);
    runStream(small, spy);
    const legitSuccess = small.filter(
      (e) =>
        e.truth.kind === 'legit' && e.event['Event Type'] === 'login' && e.event['Login Successful'] === true,
    ).length;
    expect(calls.filter((c) => c === 'learn')).toHaveLength(legitSuccess);
    expect(calls.filter((c) => c === 'observe')).toHaveLength(small.length);
    expect(calls[0]).toBe('score');
  });
});

describe('the optional device-cookie model (sim/device-cookies.ts)', () => {
  it('leaves the drawn stream as it is; legitimate sign-ins keep their browser’s cookie (bar clearing), attackers always bring a new one, tokens none', () => {
    const before = JSON.stringify(stream);
    const withCookies = withDeviceCookies(stream, 3);
    expect(JSON.stringify(stream)).toBe(before);
    expect(withCookies).toHaveLength(stream.length);
    const attackIds = new Set<string>();
    let attacks = 0;
    let repeats = 0;
    let legit = 0;
    const seen = new Set<string>();
    for (const { event, truth } of withCookies) {
      const id = event['Device ID'];
      if (event['Event Type'] === 'token') {
        expect(id).toBeUndefined();
      } else if (truth.kind === 'legit') {
        expect(id).toBeDefined();
        legit += 1;
        if (seen.has(`${truth.user}|${id}`)) {
          repeats += 1;
        }
        seen.add(`${truth.user}|${id}`);
      } else {
        attacks += 1;
        attackIds.add(String(id));
      }
    }
    expect(attacks).toBeGreaterThan(0);
    expect(attackIds.size, 'every attack sign-in a new id').toBe(attacks);
    // Most legitimate sign-ins come back on a browser seen before.
    expect(repeats / legit).toBeGreaterThan(0.5);
    expect(JSON.stringify(withDeviceCookies(stream, 3))).toBe(JSON.stringify(withCookies));
  });
});

describe('the stream without round-trip times (sim/without-round-trips.ts)', () => {
  it('drops the column from every event and every adaptive candidate, and nothing else; the drawn stream stays as it is', () => {
    const before = JSON.stringify(stream);
    const stripped = withoutRoundTrips(stream);
    expect(JSON.stringify(stream)).toBe(before);
    expect(stripped).toHaveLength(stream.length);
    const column = 'Round-Trip Time [ms]';
    let candidates = 0;
    stripped.forEach(({ event, truth }, i) => {
      const original = stream[i] as (typeof stream)[number];
      expect(original.event[column]).toBeDefined();
      expect(event).toEqual({ ...original.event, [column]: undefined });
      expect(column in event).toBe(false);
      expect({ ...truth, candidates: undefined }).toEqual({ ...original.truth, candidates: undefined });
      for (const [j, candidate] of (truth.candidates ?? []).entries()) {
        candidates += 1;
        expect(column in candidate).toBe(false);
        expect(candidate).toEqual({ ...original.truth.candidates?.[j], [column]: undefined });
      }
    });
    expect(candidates).toBeGreaterThan(0);
  });
});
