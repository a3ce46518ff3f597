/**
 * The second, independent simulator (`src/crosscheck/rba-like.ts`) builds the RBA schema and the
 * attacker models it claims; each check reads the stream, not the simulator's internals.
 */
import { createScorer } from '@tessera/risk/eval';
import { describe, expect, it } from 'vitest';
import { simulateRbaLike } from '../src/crosscheck/rba-like.js';
import { runStream } from '../src/sim/evaluate.js';

const RBA_COLUMNS = [
  'IP Address',
  'Country',
  'Region',
  'City',
  'ASN',
  'User Agent String',
  'Browser Name and Version',
  'OS Name and Version',
  'Device Type',
  'Round-Trip Time [ms]',
  'Login Timestamp',
  'User ID',
  'Login Successful',
  'Is Attack IP',
  'Is Account Takeover',
] as const;

const options = { seed: 3, users: 400, attacksPerModel: 60 };
const stream = simulateRbaLike(options);

describe('the RBA-like cross-check simulator', () => {
  it('is a function of its seed, in time order, with every RBA column on every event', () => {
    expect(JSON.stringify(simulateRbaLike(options))).toBe(JSON.stringify(stream));
    expect(JSON.stringify(simulateRbaLike({ ...options, seed: 4 }))).not.toBe(JSON.stringify(stream));
    let last = Number.NEGATIVE_INFINITY;
    for (const { event } of stream) {
      for (const column of RBA_COLUMNS) {
        expect(event).toHaveProperty([column]);
      }
      const at = Number(event['Epoch ms']);
      expect(at).toBeGreaterThanOrEqual(last);
      last = at;
    }
  });

  it("the two round-trip models differ only in the round-trip time; per place, the RTT says nothing of the person's network", () => {
    const byNetwork = simulateRbaLike({ ...options, rtt: 'by-network' });
    expect(byNetwork.length).toBe(stream.length);
    let differing = 0;
    for (const [i, { event }] of stream.entries()) {
      const other = byNetwork[i]?.event;
      expect({ ...other, 'Round-Trip Time [ms]': 0 }).toEqual({ ...event, 'Round-Trip Time [ms]': 0 });
      differing += other?.['Round-Trip Time [ms]'] === event['Round-Trip Time [ms]'] ? 0 : 1;
    }
    expect(differing).toBeGreaterThan(stream.length / 2);
  });

  it("the targeted attacker uses the victim's ISP and region but never an address the victim used; naive and stuffing reuse attacker addresses across accounts", () => {
    const history = new Map<string, { ips: Set<unknown>; asns: Set<unknown>; regions: Set<unknown> }>();
    const accountsPerAttackIp = new Map<unknown, Set<string>>();
    let targeted = 0;
    let sameAsn = 0;
    let sameRegion = 0;
    for (const { event, truth } of stream) {
      const seen = history.get(truth.user);
      if (truth.kind === 'legit') {
        if (event['Login Successful'] === true) {
          const entry = seen ?? { ips: new Set(), asns: new Set(), regions: new Set() };
          entry.ips.add(event['IP Address']);
          entry.asns.add(event.ASN);
          entry.regions.add(`${event.Country}|${event.Region}`);
          history.set(truth.user, entry);
        }
        continue;
      }
      expect(seen, `${truth.kind} against someone who has signed in before`).toBeDefined();
      if (truth.kind === 'targeted') {
        targeted += 1;
        expect(seen?.ips.has(event['IP Address'])).toBe(false);
        sameAsn += seen?.asns.has(event.ASN) === true ? 1 : 0;
        sameRegion += seen?.regions.has(`${event.Country}|${event.Region}`) === true ? 1 : 0;
      }
      if (truth.kind === 'naive' || truth.kind === 'stuffing') {
        const accounts = accountsPerAttackIp.get(event['IP Address']) ?? new Set();
        accounts.add(truth.user);
        accountsPerAttackIp.set(event['IP Address'], accounts);
        expect(event['Is Attack IP']).toBe(true);
      }
    }
    expect(targeted).toBeGreaterThan(40);
    expect(sameAsn / targeted).toBeGreaterThan(0.8);
    expect(sameRegion / targeted).toBeGreaterThan(0.8);
    expect(Math.max(...[...accountsPerAttackIp.values()].map((s) => s.size))).toBeGreaterThan(5);
  });

  it('Tessera ranks every attacker above legitimate sign-ins better than the Freeman port does (ROC AUC, people with history)', () => {
    const aucOf = (model: 'tessera' | 'freeman') => {
      const rows = runStream(stream, createScorer({ model })).filter((row) => row.history >= 1);
      const legit = rows.filter((row) => row.kind === 'legit').map((row) => row.score);
      const result: Record<string, number> = {};
      for (const kind of ['naive', 'vpn', 'targeted', 'stuffing']) {
        const attacks = rows.filter((row) => row.kind === kind).map((row) => row.score);
        let wins = 0;
        for (const a of attacks) {
          for (const l of legit) {
            wins += a > l ? 1 : a === l ? 0.5 : 0;
          }
        }
        result[kind] = wins / (attacks.length * legit.length);
      }
      return result;
    };
    const tessera = aucOf('tessera');
    const freeman = aucOf('freeman');
    for (const kind of ['naive', 'vpn', 'targeted', 'stuffing']) {
      expect(tessera[kind], kind).toBeGreaterThan(freeman[kind] ?? 1);
    }
  });
});
