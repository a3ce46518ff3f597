/**
 * The Freeman et al. (NDSS 2016) port: the hierarchy IP → ASN → country and UA → browser → OS →
 * device type orders the risk of a familiar person's sign-ins, and the account term p(u|A)/p(u|L)
 * makes a frequent person's unfamiliar sign-in riskier than a newcomer's.
 */
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

  it('Freeman §III: for a person with no history p(x|u) falls back to p(x), so the score is log p(u|A)/p(u|L) alone', () => {
    // 51 people known plus this one: p(u|A) = 1/52; p(u|L) = (0 + 1) / (160 sign-ins + 52), add-one smoothed.
    expect(model.score(event('newcomer', '9.9.9.9', 999, 'US'))).toBeCloseTo(Math.log((160 + 52) / 52), 10);
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
