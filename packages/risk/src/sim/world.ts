/**
 * The simulated world: countries with regions and cities, networks (residential ISPs, mobile
 * carriers behind CGNAT, offices and campuses behind one NAT address, VPN providers with exits in
 * every country, hosting providers), round-trip times and browsers whose versions drift.
 * Everything is drawn from a seeded Random; nothing here reads the clock.
 */
import type { Random } from './random.js';

export const DAY_MS = 86_400_000;

export interface Country {
  readonly code: string;
  readonly weight: number;
  /** Hours from UTC (for usual sign-in hours). */
  readonly tz: number;
  /** 0 the server's country, 1 nearby, 2 far: adds to round-trip time. */
  readonly distance: number;
  readonly regions: readonly string[];
  readonly residential: readonly Network[];
  readonly mobile: readonly Network[];
}

export type NetworkKind = 'residential' | 'mobile' | 'office' | 'campus' | 'vpn' | 'hosting';

export interface Network {
  readonly asn: number;
  readonly kind: NetworkKind;
  readonly country: string;
  /** First two octets: every network has its own /16. */
  readonly base: string;
}

export interface Place {
  readonly country: Country;
  readonly region: string;
  readonly city: string;
}

const COUNTRY_TABLE: readonly [string, number, number, number][] = [
  ['DE', 0.3, 1, 0],
  ['US', 0.14, -5, 2],
  ['FR', 0.08, 1, 1],
  ['GB', 0.08, 0, 1],
  ['PL', 0.06, 1, 1],
  ['NL', 0.06, 1, 1],
  ['IT', 0.06, 1, 1],
  ['ES', 0.06, 1, 1],
  ['NO', 0.05, 1, 1],
  ['BR', 0.05, -3, 2],
  ['IN', 0.03, 5, 2],
  ['JP', 0.03, 9, 2],
];

export interface World {
  readonly countries: readonly Country[];
  readonly vpn: readonly Network[];
  readonly hosting: readonly Network[];
  readonly country: (code: string) => Country;
  newNetwork(kind: NetworkKind, country: string): Network;
}

export function createWorld(): World {
  let nextAsn = 1000;
  const networks: Network[] = [];
  function newNetwork(kind: NetworkKind, country: string): Network {
    const index = networks.length;
    const network = {
      asn: nextAsn,
      kind,
      country,
      base: `${20 + Math.floor(index / 250)}.${index % 250}`,
    };
    nextAsn += 7;
    networks.push(network);
    return network;
  }
  const countries = COUNTRY_TABLE.map(([code, weight, tz, distance]) => ({
    code,
    weight,
    tz,
    distance,
    regions: ['R1', 'R2', 'R3', 'R4', 'R5'].map((r) => `${code}-${r}`),
    residential: [0, 1, 2, 3, 4].map(() => newNetwork('residential', code)),
    mobile: [0, 1, 2].map(() => newNetwork('mobile', code)),
  }));
  const vpn = [0, 1, 2, 3, 4, 5].map(() => newNetwork('vpn', 'XX'));
  const hosting = [0, 1, 2, 3, 4, 5, 6, 7].map((i) =>
    newNetwork('hosting', COUNTRY_TABLE[(i * 5) % COUNTRY_TABLE.length]?.[0] ?? 'US'),
  );
  const byCode = new Map(countries.map((c) => [c.code, c]));
  return {
    countries,
    vpn,
    hosting,
    newNetwork,
    country: (code) => byCode.get(code) ?? (countries[0] as Country),
  };
}

export function randomPlace(rng: Random, country: Country): Place {
  const region = rng.pick(country.regions);
  return { country, region, city: `${region}-C${1 + rng.int(4)}` };
}

/** An address in `network`: a prefix (third octet) and a host. */
export function addressIn(network: Network, prefix: number, host: number): string {
  return `${network.base}.${prefix & 255}.${1 + (host % 254)}`;
}

const RTT_BASE: Record<NetworkKind, number> = {
  residential: 24,
  mobile: 65,
  office: 14,
  campus: 18,
  vpn: 40,
  hosting: 6,
};
const RTT_DISTANCE = [0, 18, 95];

/** One TCP round trip as the server measures it, from a client of this kind and distance. */
export function roundTrip(rng: Random, kind: NetworkKind, distance: number): number {
  const sigma = kind === 'mobile' ? 0.45 : 0.25;
  return Math.round(rng.logNormal(RTT_BASE[kind] + (RTT_DISTANCE[distance] ?? 0), sigma));
}

export type DeviceType = 'desktop' | 'mobile' | 'tablet';

export interface BrowserKind {
  readonly name: string;
  readonly os: string;
  readonly device: DeviceType;
  readonly weight: number;
  /** Version at day 0 and days per major version. */
  readonly version0: number;
  readonly cadenceDays: number;
  readonly template: string;
}

export const BROWSERS: readonly BrowserKind[] = [
  {
    name: 'Chrome',
    os: 'Windows 10',
    device: 'desktop',
    weight: 0.3,
    version0: 118,
    cadenceDays: 30,
    template:
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36',
  },
  {
    name: 'Chrome Mobile',
    os: 'Android 13',
    device: 'mobile',
    weight: 0.2,
    version0: 118,
    cadenceDays: 30,
    template:
      'Mozilla/5.0 (Linux; Android 13; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Mobile Safari/537.36',
  },
  {
    name: 'Mobile Safari',
    os: 'iOS 17',
    device: 'mobile',
    weight: 0.15,
    version0: 17,
    cadenceDays: 120,
    template:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_{v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{v} Mobile/15E148 Safari/604.1',
  },
  {
    name: 'Edge',
    os: 'Windows 10',
    device: 'desktop',
    weight: 0.08,
    version0: 118,
    cadenceDays: 30,
    template:
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36 Edg/{v}.0.0.0',
  },
  {
    name: 'Firefox',
    os: 'Windows 10',
    device: 'desktop',
    weight: 0.07,
    version0: 119,
    cadenceDays: 28,
    template: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0',
  },
  {
    name: 'Safari',
    os: 'Mac OS X 10.15',
    device: 'desktop',
    weight: 0.07,
    version0: 17,
    cadenceDays: 120,
    template:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{v} Safari/605.1.15',
  },
  {
    name: 'Chrome',
    os: 'Mac OS X 10.15',
    device: 'desktop',
    weight: 0.05,
    version0: 118,
    cadenceDays: 30,
    template:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36',
  },
  {
    name: 'Samsung Internet',
    os: 'Android 13',
    device: 'mobile',
    weight: 0.04,
    version0: 22,
    cadenceDays: 60,
    template:
      'Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/{v}.0 Chrome/115.0.0.0 Mobile Safari/537.36',
  },
  {
    name: 'Mobile Safari',
    os: 'iOS 17',
    device: 'tablet',
    weight: 0.04,
    version0: 17,
    cadenceDays: 120,
    template:
      'Mozilla/5.0 (iPad; CPU OS 17_{v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{v} Mobile/15E148 Safari/604.1',
  },
];

export interface UserAgent {
  readonly ua: string;
  readonly browser: string;
  readonly os: string;
  readonly device: DeviceType;
}

/** The UA a browser of this kind shows on `day`, `lag` versions behind the current one. */
export function userAgentOf(kind: BrowserKind, day: number, lag: number): UserAgent {
  const version = kind.version0 + Math.max(0, Math.floor(day / kind.cadenceDays) - lag);
  return {
    ua: kind.template.replaceAll('{v}', String(version)),
    browser: `${kind.name} ${version}.0`,
    os: kind.os,
    device: kind.device,
  };
}
