/**
 * The Freeman et al. (NDSS 2016) baseline as Wiefling et al. implemented it for the RBA dataset
 * (github.com/das-group/rba-algorithm, `freeman_rba_score`): a weighted sum over the levels IP, ASN,
 * country (0.6, 0.3, 0.1) and UA, browser, OS, device type (0.5387, 0.2680, 0.1882, 0.0051) on both
 * sides, the first level smoothed on the global side only, the edge case p(x|u) = p(x)/4 when no
 * level matches, and the account term p(u|A)/p(u|L).
 */
import { readFileSync } from 'node:fs';
import { createFreemanModel, type RiskEvent } from '@tessera/risk';
import { describe, expect, it } from 'vitest';

function event(
  user: string,
  ip: string,
  asn: number,
  country: string,
  ua = 'UA-1',
  browser = 'Chrome 120.0',
): RiskEvent {
  return {
    'User ID': user,
    'IP Address': ip,
    ASN: asn,
    Country: country,
    'User Agent String': ua,
    'Browser Name and Version': browser,
    'OS Name and Version': 'Windows 10',
    'Device Type': 'desktop',
  };
}

describe('Freeman et al. (NDSS 2016) port', () => {
  const model = createFreemanModel();
  // A population: 50 people in DE and FR on a few ASNs.
  for (let i = 0; i < 50; i += 1) {
    const country = i % 2 === 0 ? 'DE' : 'FR';
    for (let k = 0; k < 3; k += 1) {
      model.learn(event(`p${i}`, `1.${i}.${k}.1`, 100 + (i % 5), country));
    }
  }
  for (let k = 0; k < 10; k += 1) {
    model.learn(event('alice', '1.200.0.1', 100, 'DE'));
  }

  it('Freeman §IV (hierarchy): same IP < same ASN < same country < new country, for the IP feature', () => {
    const sameIp = model.score(event('alice', '1.200.0.1', 100, 'DE'));
    const sameAsn = model.score(event('alice', '1.200.9.9', 100, 'DE'));
    const sameCountry = model.score(event('alice', '1.201.9.9', 102, 'DE'));
    const newCountry = model.score(event('alice', '9.9.9.9', 999, 'US'));
    expect(sameIp).toBeLessThan(sameAsn);
    expect(sameAsn).toBeLessThan(sameCountry);
    expect(sameCountry).toBeLessThan(newCountry);
  });

  it('Freeman §IV (hierarchy): a new UA string of a known browser version is less risky than another browser', () => {
    const update = model.score(event('alice', '1.200.0.1', 100, 'DE', 'UA-2', 'Chrome 120.0'));
    const other = model.score(event('alice', '1.200.0.1', 100, 'DE', 'UA-3', 'Firefox 121.0'));
    expect(update).toBeLessThan(other);
  });

  it('a person with no history: no level matches on either feature, their edge case p(x|u) = p(x)/4 twice, and no account term', () => {
    expect(model.score(event('newcomer', '9.9.9.9', 999, 'US'))).toBeCloseTo(Math.log(16), 10);
  });

  it('Freeman §III: p(u|A)/p(u|L) and p(x|u) — more legitimate history, lower risk for the same familiar sign-in', () => {
    for (let k = 0; k < 2; k += 1) {
      model.learn(event('bob', '1.200.0.1', 100, 'DE'));
    }
    const familiar = event('', '1.200.0.1', 100, 'DE');
    expect(model.score({ ...familiar, 'User ID': 'alice' })).toBeLessThan(
      model.score({ ...familiar, 'User ID': 'bob' }),
    );
  });
});

describe('Freeman as Wiefling et al. compute it (freeman_rba_score), on a hand-worked example', () => {
  const D = { os: 'Windows 10', device: 'desktop' };
  function signIn(
    user: string,
    ip: string,
    asn: number,
    country: string,
    ua: string,
    browser: string,
    os = D.os,
  ) {
    return {
      ...event(user, ip, asn, country, ua, browser),
      'OS Name and Version': os,
      'Device Type': D.device,
    };
  }
  const model = createFreemanModel();
  model.learn(signIn('alice', '10.0.0.1', 100, 'DE', 'UA-1', 'Chrome 120.0'));
  model.learn(signIn('alice', '10.0.0.1', 100, 'DE', 'UA-1', 'Chrome 120.0'));
  model.learn(signIn('bob', '10.9.0.1', 200, 'FR', 'UA-2', 'Firefox 121.0', 'Linux'));
  // N = 3 sign-ins by 2 people. Alice comes back on a new address in her ASN with her own UA.
  const ipGlobal =
    0.6 * (1 / (1 + 3)) * (1 / (3 + 1 + 2 + 2)) + // the address: unseen (n = 0 + this one), U = 1 + 2 ASNs + 2 countries
    0.3 * (2 / 3) + // ASN 100: 2 of 3
    0.1 * (2 / 3); // DE: 2 of 3
  const ipLocal = 0.6 * 0 + 0.3 * (2 / 2) + 0.1 * (2 / 2);
  const uaGlobal =
    0.5386653840551359 * (3 / (3 + 4)) * (2 / (3 + 1 + 2 + 2 + 1)) + // UA-1: 2 of 3, n = 3 with this one; U = 1 + 2 browsers + 2 OSs + 1 device
    0.2680451498625666 * (2 / 3) +
    0.18818295100109536 * (2 / 3) +
    0.0051065150812021525 * (3 / 3);
  const uaLocal = 0.5386653840551359 + 0.2680451498625666 + 0.18818295100109536 + 0.0051065150812021525;
  const account = 1 / 2 / (2 / 3); // p(u|A) = 1/2 people; p(u|L) = 2 of 3 sign-ins

  it('log S = log(p(ip)/p(ip|u) · p(ua)/p(ua|u) · p(u|A)/p(u|L)), level by level', () => {
    const score = model.score(signIn('alice', '10.0.0.2', 100, 'DE', 'UA-1', 'Chrome 120.0'));
    expect(score).toBeCloseTo(Math.log((ipGlobal / ipLocal) * (uaGlobal / uaLocal) * account), 10);
  });

  it("their edge case: a feature with no level in the person's history counts p(x)/(p(x)/4), a ratio of 4", () => {
    const known = model.score(signIn('alice', '10.0.0.2', 100, 'DE', 'UA-1', 'Chrome 120.0'));
    const abroad = model.score(signIn('alice', '10.5.0.1', 300, 'US', 'UA-1', 'Chrome 120.0'));
    expect(abroad - known).toBeCloseTo(Math.log(4) - Math.log(ipGlobal / ipLocal), 10);
  });
});

describe("Freeman against Wiefling et al.'s own code, row by row", () => {
  it('reproduces freeman_rba_score on 405 simulated sign-ins (325 scored), to 9 decimal places of the log', () => {
    // Computed by running their notebook's functions (pandas) on these rows, as the fixture's
    // `source` says; their code is not in this repository.
    const fixture = JSON.parse(
      readFileSync(new URL('./fixtures/wiefling-freeman-scores.json', import.meta.url), 'utf8'),
    ) as {
      uas: string[];
      rows: [string, string, string, string, number, string, string, string, boolean, number | null][];
    };
    const model = createFreemanModel();
    let scored = 0;
    for (const [user, ip, asn, country, ua, browser, os, device, learn, expected] of fixture.rows) {
      const signIn: RiskEvent = {
        'User ID': user,
        'IP Address': ip,
        ASN: asn,
        Country: country,
        'User Agent String': fixture.uas[ua],
        'Browser Name and Version': browser,
        'OS Name and Version': os,
        'Device Type': device,
      };
      if (expected !== null) {
        expect(model.score(signIn), `row ${scored}`).toBeCloseTo(expected, 9);
        scored += 1;
      }
      if (learn) {
        model.learn(signIn);
      }
    }
    expect(scored).toBe(325);
  });
});
