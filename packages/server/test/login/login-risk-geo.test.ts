/**
 * Geo for risk-based sign-in (issue 15 §1, "Bad input"): `risk.geoDatabase` and `risk.asnDatabase`
 * (.mmdb files read with mmdb-lib) give each sign-in its country, region, city and ASN; a missing
 * or corrupt database is logged, the server starts and scores without geo.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openGeoDatabases } from '../../src/users/geo-database.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { Device } from '../support/device.js';
import { authorizeUrl, createCodeClient, createUser, pkcePair, signIn } from '../support/login.js';
import { writeMmdb } from '../support/mmdb.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const dir = mkdtempSync(join(tmpdir(), 'tessera-geo-'));
const GEO = join(dir, 'city.mmdb');
const ASN = join(dir, 'asn.mmdb');
// The @ip-location-db layout for one network, MaxMind's for the other.
writeFileSync(
  GEO,
  writeMmdb({
    '203.0.113.0/24': {
      country_code: 'DE',
      state1: 'Berlin',
      city: 'Berlin',
      latitude: 52.52,
      longitude: 13.405,
    },
    '203.0.114.0/24': { country_code: 'DE', state1: 'Berlin', city: 'Berlin' },
    '198.51.100.0/24': {
      country: { iso_code: 'BR' },
      subdivisions: [{ iso_code: 'PE' }],
      city: { names: { en: 'Recife' } },
      location: { latitude: -8.05, longitude: -34.9 },
    },
    // About 504 km from Berlin: an hour's flight, not ten minutes.
    '192.0.2.0/24': {
      country_code: 'DE',
      state1: 'Bavaria',
      city: 'Munich',
      latitude: 48.137,
      longitude: 11.575,
    },
  }),
);
writeFileSync(
  ASN,
  writeMmdb({
    '203.0.113.0/24': { autonomous_system_number: 64500, autonomous_system_organization: 'Home ISP' },
    '203.0.114.0/24': { autonomous_system_number: 64500, autonomous_system_organization: 'Home ISP' },
    '198.51.100.0/24': { autonomous_system_number: 64501, autonomous_system_organization: 'Elsewhere' },
  }),
);
const CORRUPT = join(dir, 'corrupt.mmdb');
writeFileSync(CORRUPT, Buffer.from('this is not a MaxMind database at all, just some bytes'.repeat(20)));

describe('openGeoDatabases', () => {
  it('reads country, region, city, coordinates (both record layouts) and ASN; an unknown, private, IPv6 or malformed address gets nothing', () => {
    const warnings: string[] = [];
    const geo = openGeoDatabases(
      { geoDatabase: GEO, asnDatabase: ASN },
      { warn: (_d, m) => warnings.push(m) },
    );
    expect(geo.lookup('203.0.113.5')).toEqual({
      country: 'DE',
      region: 'Berlin',
      city: 'Berlin',
      latitude: 52.52,
      longitude: 13.405,
      asn: '64500',
    });
    // No coordinates in the record: none in the answer.
    expect(geo.lookup('203.0.114.5')).toEqual({
      country: 'DE',
      region: 'Berlin',
      city: 'Berlin',
      asn: '64500',
    });
    expect(geo.lookup('198.51.100.7')).toEqual({
      country: 'BR',
      region: 'PE',
      city: 'Recife',
      latitude: -8.05,
      longitude: -34.9,
      asn: '64501',
    });
    for (const ip of ['8.8.8.8', '10.0.0.1', '::1', '2001:db8::1', 'not an address', '']) {
      expect(geo.lookup(ip)).toEqual({});
    }
    expect(warnings).toEqual([]);
  });

  it('a missing or corrupt database is logged and left out; lookups answer empty, never throw', () => {
    const warnings: { details: object; message: string }[] = [];
    const geo = openGeoDatabases(
      { geoDatabase: join(dir, 'missing.mmdb'), asnDatabase: CORRUPT },
      { warn: (details, message) => warnings.push({ details, message }) },
    );
    expect(warnings.map((w) => w.message)).toEqual([
      'risk: the geo database could not be read; sign-ins are scored without it',
      'risk: the ASN database could not be read; sign-ins are scored without it',
    ]);
    expect(geo.lookup('203.0.113.5')).toEqual({});
  });
});

const HOME = '203.0.113.5';
const AWAY = '198.51.100.7';
const UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/** Signs in from `ip` (same browser every time); returns the score of that sign-in. */
async function scoreFrom(server: TestServer, ip: string): Promise<number> {
  const client = await createCodeClient(server);
  const pkce = pkcePair();
  await signIn(
    new Device(server, { ip, userAgent: UA }),
    authorizeUrl(client.client, {
      scope: 'read',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    }),
  );
  await server.audit.flush();
  const [last] = (await server.store.listAudit({ type: 'risk.decision', limit: 1 })).items;
  return Number(last?.data.score);
}

async function awayScore(overrides: Record<string, unknown>): Promise<number> {
  const server = await bootstrap({
    'risk.enabled': true,
    'risk.stepUpScore': 100,
    'risk.denyScore': 100,
    ...overrides,
  });
  t = server;
  await createUser(server);
  for (let i = 0; i < 3; i++) {
    await scoreFrom(server, HOME);
    server.clock.advance(3600);
  }
  const score = await scoreFrom(server, AWAY);
  await server.close();
  t = undefined;
  return score;
}

describe('risk.geoDatabase / risk.asnDatabase in the server', () => {
  it('with the databases, a sign-in from another country and ASN scores higher than with the address alone', async () => {
    const withGeo = await awayScore({ 'risk.geoDatabase': GEO, 'risk.asnDatabase': ASN });
    const withoutGeo = await awayScore({});
    expect(withGeo).toBeGreaterThan(withoutGeo);
  });

  it('a corrupt or missing database: the server starts, and sign-ins are scored without geo (the same scores as with none)', async () => {
    const corrupt = await awayScore({
      'risk.geoDatabase': join(dir, 'missing.mmdb'),
      'risk.asnDatabase': CORRUPT,
    });
    const none = await awayScore({});
    expect(corrupt).toBe(none);
  });
});

describe('impossible_travel from the city database’s coordinates', () => {
  /** The factors of a sign-in from `ip` `minutes` after one from Berlin (three earlier days there). */
  async function factorsAfterBerlin(ip: string, minutes: number): Promise<string[]> {
    const server = await bootstrap({
      'risk.enabled': true,
      'risk.stepUpScore': 100,
      'risk.denyScore': 100,
      'risk.geoDatabase': GEO,
      'risk.asnDatabase': ASN,
    });
    t = server;
    await createUser(server);
    for (let i = 0; i < 3; i++) {
      server.clock.advance(86_400);
      await scoreFrom(server, HOME);
    }
    server.clock.advance(minutes * 60);
    await scoreFrom(server, ip);
    const [last] = (await server.store.listAudit({ type: 'risk.decision', limit: 1 })).items;
    return ((last?.data.factors ?? []) as { name: string }[]).map((factor) => factor.name);
  }

  it('Berlin, then Recife ten minutes later (about 10,000 km): flagged among the top factors of the audited decision', async () => {
    expect(await factorsAfterBerlin(AWAY, 10)).toContain('impossible_travel');
  });

  it('Berlin, then Munich ten minutes later (about 3,000 km/h): flagged', async () => {
    expect(await factorsAfterBerlin('192.0.2.7', 10)).toContain('impossible_travel');
  });

  it('Berlin, then Munich three hours later (a plausible trip): not flagged', async () => {
    expect(await factorsAfterBerlin('192.0.2.7', 180)).not.toContain('impossible_travel');
  });
});
