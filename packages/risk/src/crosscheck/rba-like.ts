/**
 * A second, independent sign-in simulator, for checking whether the engine's ranking generalises
 * beyond the simulator it was tuned on (`../sim/`). It was written from public descriptions only:
 * the README of the RBA dataset (github das-group/rba-dataset: column meanings, how the values were
 * synthesised, "the RTTs … were randomly assigned among users per geolocation"), Wiefling et al.,
 * "Pump Up Password Security!" (ACM TOPS 2022) and "Is This Really You?" (2019), and Freeman et al.
 * (NDSS 2016) for the attacker models. Only the types `Truth` and `LabelledEvent` are shared with
 * `../sim/`. Where those sources are silent, the choice made is written next to the code ("Choice:").
 *
 * The world: a service in Norway (like the dataset's) with mostly Norwegian users, some from the
 * rest of Europe and a few from further away. Each person has a home (country, region, city) and a
 * fixed-line ISP (ASNs of Zipf-like sizes, some national, some regional) whose address at home
 * changes with a personal lease, often a mobile carrier (carrier-grade NAT: addresses shared and
 * changed on every sign-in, geolocated to a few hubs or to the country only), sometimes an office
 * (its own ASN or an ISP's business block, a handful of NAT addresses shared by colleagues), trips
 * (hotel Wi-Fi abroad or at home, or mobile roaming with a home-country address), a commercial VPN
 * (exits in hosting ASNs, shared with everyone else on that VPN, attackers included), and 1–3
 * devices whose browsers update on their own schedule (real 2020–21 release dates).
 *
 * Sign-ins only (no token events). Output is ordered by time.
 */

import type { RiskEvent } from '../event.js';
import type { LabelledEvent, Truth } from '../sim/simulate.js';

export type RttModel = 'per-place-random' | 'by-network';

export interface RbaLikeOptions {
  readonly seed: number;
  readonly users: number;
  /** Attack sign-ins per attacker model (stuffing: attempts, over campaigns of about 80 accounts). */
  readonly attacksPerModel: number;
  /** Length of the stream in days (default 180; the stream starts on 2020-02-03 like the dataset). */
  readonly days?: number;
  /**
   * `per-place-random` (default): as in the dataset, a round-trip time drawn from a distribution of
   * the event's geolocation (city), whoever the person and whatever the network. `by-network`: the
   * time the path would take (the client's true location, through the VPN or proxy if any, plus
   * the access network and a per-person offset).
   */
  readonly rtt?: RttModel;
}

export const RBA_LIKE_ATTACKERS = ['naive', 'vpn', 'targeted', 'stuffing'] as const;
export type RbaLikeKind = 'legit' | (typeof RBA_LIKE_ATTACKERS)[number];

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** The dataset's first month (February 2020). */
const START = Date.UTC(2020, 1, 3);

// ---------------------------------------------------------------------------------------------
// Randomness: mulberry32, seeded per purpose so that one part of the world does not shift another.

function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) {
    throw new RangeError(`index ${index} outside 0..${items.length - 1}`);
  }
  return item;
}

/** FNV-1a over the parts, then a murmur3 finaliser: a 32-bit seed per purpose. */
function seedOf(...parts: readonly (string | number)[]): number {
  const text = parts.join('|');
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32: uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4_294_967_296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  range(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return at(items, this.int(items.length));
  }

  index(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) {
      total += w;
    }
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= at(weights, i);
      if (r < 0) {
        return i;
      }
    }
    return weights.length - 1;
  }

  weighted<T>(items: readonly T[], weight: (item: T) => number): T {
    return at(items, this.index(items.map(weight)));
  }

  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  hex(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) {
      out += this.int(16).toString(16);
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Geography. Round-trip times are to a server in Oslo. Choice: these countries, regions, cities,
// weights and base times are mine (plausible, not from the papers, which publish only a few medians).

interface RegionSpec {
  readonly name: string;
  readonly weight: number;
  /** Added to the country's base round-trip time. */
  readonly rtt: number;
  readonly cities: readonly string[];
}

interface CountrySpec {
  readonly code: string;
  /** Share of the service's users living there. */
  readonly home: number;
  /** Weight as a destination of trips abroad. */
  readonly travel: number;
  /** Weight as a location of attack infrastructure. */
  readonly attack: number;
  /** Base round-trip time to the server (ms). */
  readonly rtt: number;
  /** Hours from UTC (no daylight saving time: a one-hour shift changes nothing here). */
  readonly utc: number;
  /** Number of fixed-line ISPs. */
  readonly isps: number;
  readonly regions: readonly RegionSpec[];
}

function r(name: string, weight: number, rtt: number, cities: readonly string[]): RegionSpec {
  return { name, weight, rtt, cities };
}

function spec(
  code: string,
  home: number,
  travel: number,
  attack: number,
  rtt: number,
  utc: number,
  isps: number,
  regions: readonly RegionSpec[],
): CountrySpec {
  return { code, home, travel, attack, rtt, utc, isps, regions };
}

/** Country, home weight, travel weight, attack weight, base RTT (ms), UTC offset, fixed ISPs, regions. */

const COUNTRIES: readonly CountrySpec[] = [
  spec('NO', 78, 4, 2, 4, 1, 7, [
    r('Oslo', 13, 0, ['Oslo']),
    r('Viken', 23, 2, ['Bærum', 'Drammen', 'Fredrikstad', 'Lillestrøm', 'Sarpsborg', 'Moss', 'Asker']),
    r('Vestland', 12, 8, ['Bergen', 'Førde', 'Voss', 'Stord']),
    r('Rogaland', 9, 8, ['Stavanger', 'Sandnes', 'Haugesund']),
    r('Trøndelag', 9, 9, ['Trondheim', 'Steinkjer', 'Stjørdal', 'Levanger']),
    r('Innlandet', 7, 5, ['Hamar', 'Lillehammer', 'Gjøvik', 'Elverum']),
    r('Agder', 6, 6, ['Kristiansand', 'Arendal', 'Grimstad']),
    r('Vestfold og Telemark', 8, 4, ['Tønsberg', 'Sandefjord', 'Skien', 'Porsgrunn', 'Larvik']),
    r('Møre og Romsdal', 5, 11, ['Ålesund', 'Molde', 'Kristiansund']),
    r('Nordland', 4.5, 17, ['Bodø', 'Mo i Rana', 'Narvik']),
    r('Troms og Finnmark', 4.5, 22, ['Tromsø', 'Alta', 'Harstad']),
  ]),
  spec('SE', 4, 12, 2, 12, 1, 5, [
    r('Stockholm', 4, 0, ['Stockholm', 'Solna', 'Södertälje']),
    r('Västra Götaland', 3, 2, ['Gothenburg', 'Borås']),
    r('Skåne', 2, 6, ['Malmö', 'Lund', 'Helsingborg']),
  ]),
  spec('DK', 2, 8, 1, 14, 1, 4, [
    r('Capital Region', 4, 0, ['Copenhagen', 'Frederiksberg']),
    r('Central Jutland', 2, 4, ['Aarhus', 'Randers']),
    r('South Denmark', 2, 4, ['Odense', 'Esbjerg']),
  ]),
  spec('DE', 3, 10, 8, 22, 1, 6, [
    r('Berlin', 3, 0, ['Berlin']),
    r('Bavaria', 4, 6, ['Munich', 'Nuremberg', 'Augsburg']),
    r('Hesse', 2, 2, ['Frankfurt am Main', 'Wiesbaden']),
    r('North Rhine-Westphalia', 5, 2, ['Cologne', 'Düsseldorf', 'Dortmund', 'Essen']),
    r('Hamburg', 1.5, -2, ['Hamburg']),
  ]),
  spec('GB', 3, 9, 5, 28, 0, 5, [
    r('England', 8, 0, ['London', 'Manchester', 'Birmingham', 'Leeds', 'Bristol']),
    r('Scotland', 1.5, -2, ['Edinburgh', 'Glasgow', 'Aberdeen']),
    r('Wales', 1, 3, ['Cardiff', 'Swansea']),
  ]),
  spec('NL', 1, 5, 10, 20, 1, 4, [
    r('North Holland', 3, 0, ['Amsterdam', 'Haarlem']),
    r('South Holland', 3, 1, ['Rotterdam', 'The Hague', 'Leiden']),
    r('Utrecht', 1.5, 1, ['Utrecht']),
  ]),
  spec('FR', 1, 6, 5, 30, 1, 4, [
    r('Île-de-France', 4, 0, ['Paris', 'Boulogne-Billancourt']),
    r('Auvergne-Rhône-Alpes', 2, 6, ['Lyon', 'Grenoble']),
    r("Provence-Alpes-Côte d'Azur", 2, 10, ['Marseille', 'Nice']),
  ]),
  spec('ES', 1, 14, 2, 42, 1, 4, [
    r('Madrid', 3, 0, ['Madrid']),
    r('Catalonia', 3, -2, ['Barcelona', 'Girona']),
    r('Andalusia', 3, 6, ['Málaga', 'Seville', 'Marbella']),
    r('Canary Islands', 1, 25, ['Las Palmas', 'Santa Cruz de Tenerife']),
  ]),
  spec('PL', 3, 4, 3, 28, 1, 4, [
    r('Masovia', 3, 0, ['Warsaw', 'Radom']),
    r('Lesser Poland', 2, 4, ['Kraków', 'Tarnów']),
    r('Lower Silesia', 2, 3, ['Wrocław']),
    r('Pomerania', 1.5, 1, ['Gdańsk', 'Gdynia']),
  ]),
  spec('LT', 1, 1, 2, 26, 2, 3, [
    r('Vilnius County', 2, 0, ['Vilnius']),
    r('Kaunas County', 1, 2, ['Kaunas']),
  ]),
  spec('US', 2, 6, 20, 95, -5, 6, [
    r('New York', 3, 0, ['New York', 'Rochester', 'Buffalo']),
    r('Virginia', 1.5, -5, ['Ashburn', 'Richmond']),
    r('Texas', 2.5, 30, ['Dallas', 'Houston', 'Austin']),
    r('California', 4, 60, ['Los Angeles', 'San Francisco', 'San Jose', 'San Diego']),
    r('Illinois', 1.5, 20, ['Chicago']),
  ]),
  spec('IN', 1, 1, 6, 140, 5.5, 4, [
    r('Maharashtra', 3, 0, ['Mumbai', 'Pune']),
    r('Karnataka', 2, 10, ['Bengaluru']),
    r('Delhi', 2, -5, ['New Delhi']),
  ]),
  spec('PK', 0.5, 0.3, 2, 150, 5, 3, [
    r('Punjab', 2, 0, ['Lahore', 'Rawalpindi']),
    r('Sindh', 1, 10, ['Karachi']),
  ]),
  spec('MY', 0.5, 1, 1, 185, 8, 3, [
    r('Kuala Lumpur', 2, 0, ['Kuala Lumpur']),
    r('Selangor', 1, 2, ['Shah Alam', 'Petaling Jaya']),
  ]),
  spec('TH', 0, 4, 2, 195, 7, 3, [r('Bangkok', 2, 0, ['Bangkok']), r('Phuket', 1, 8, ['Phuket'])]),
  spec('RU', 0, 0.2, 10, 40, 3, 4, [
    r('Moscow', 3, 0, ['Moscow']),
    r('St.-Petersburg', 2, -8, ['Saint Petersburg']),
  ]),
  spec('UA', 0, 0.2, 5, 45, 2, 3, [r('Kyiv City', 2, 0, ['Kyiv']), r('Kharkiv Oblast', 1, 6, ['Kharkiv'])]),
  spec('VN', 0, 1, 6, 225, 7, 3, [r('Hanoi', 1, 0, ['Hanoi']), r('Ho Chi Minh', 1, 6, ['Ho Chi Minh City'])]),
  spec('BR', 0, 1, 5, 205, -3, 3, [
    r('São Paulo', 2, 0, ['São Paulo', 'Campinas']),
    r('Rio de Janeiro', 1, 6, ['Rio de Janeiro']),
  ]),
  spec('CN', 0, 0.5, 6, 245, 8, 3, [
    r('Beijing', 1, 0, ['Beijing']),
    r('Guangdong', 2, 10, ['Shenzhen', 'Guangzhou']),
  ]),
  spec('NG', 0, 0, 3, 120, 1, 3, [r('Lagos', 2, 0, ['Lagos']), r('FCT', 1, 8, ['Abuja'])]),
  spec('SG', 0, 1, 4, 180, 8, 3, [r('Singapore', 1, 0, ['Singapore'])]),
];

/** Exit countries a legitimate VPN user picks besides the home country (Choice). */
const VPN_ABROAD = ['SE', 'NL', 'DE', 'US', 'GB', 'DK'] as const;

// ---------------------------------------------------------------------------------------------
// Networks and addresses

interface Place {
  /** Country code. */
  readonly code: string;
  /** `-` when the geolocation database knows only the country (as the dataset prints it). */
  readonly region: string;
  readonly city: string;
  /** Base round-trip time from there to the server. */
  readonly rtt: number;
  /** Share of the country's population (0 for a country-only place). */
  readonly weight: number;
  readonly key: string;
}

interface Region {
  readonly name: string;
  readonly cities: readonly Place[];
}

interface Country {
  readonly spec: CountrySpec;
  readonly regions: readonly Region[];
  readonly places: readonly Place[];
  readonly capital: Place;
  /** Geolocated to the country only. */
  readonly unknown: Place;
  readonly fixed: Network[];
  readonly mobile: Network[];
  /** Mobile carriers' gateways: the capital and the two largest other cities. */
  readonly hubs: readonly Place[];
  readonly hosting: Network[];
  readonly offices: Office[];
}

type NetworkKind = 'fixed' | 'mobile' | 'enterprise' | 'hosting';

interface Pool {
  readonly base: number;
  readonly size: number;
  readonly network: Network;
  readonly place: Place;
}

interface Network {
  readonly asn: number;
  readonly kind: NetworkKind;
  /** Zipf-like market share within its country (fixed and mobile). */
  readonly share: number;
  /** Regions served; `undefined`: the whole country. */
  readonly regions: ReadonlySet<string> | undefined;
  readonly pools: Pool[];
  readonly byPlace: Map<Place, Pool[]>;
  /** Mobile carriers: one CGNAT pool per hub of the country. */
  readonly hubPools: Pool[];
  block: number;
  offset: number;
}

interface Office {
  readonly place: Place;
  readonly pool: Pool;
}

interface VpnProvider {
  readonly weight: number;
  readonly exits: Map<string, Pool>;
}

interface AttackHost {
  readonly address: string;
  readonly pool: Pool;
}

/** Unique public /16 blocks (no private, shared, loopback, link-local, documentation or multicast). */
class AddressSpace {
  private readonly used = new Set<number>();

  constructor(private readonly rng: Rng) {}

  slash16(): number {
    for (;;) {
      const a = 1 + this.rng.int(222);
      if ([10, 100, 127, 169, 172, 192, 198, 203].includes(a)) {
        continue;
      }
      const key = a * 256 + this.rng.int(256);
      if (!this.used.has(key)) {
        this.used.add(key);
        return key * 65_536;
      }
    }
  }
}

function ipText(n: number): string {
  return [Math.floor(n / 16_777_216), Math.floor(n / 65_536) % 256, Math.floor(n / 256) % 256, n % 256].join(
    '.',
  );
}

function addressIn(pool: Pool, rng: Rng): string {
  const host = pool.size >= 4 ? 1 + rng.int(pool.size - 2) : rng.int(pool.size);
  return ipText(pool.base + host);
}

interface World {
  readonly seed: number;
  readonly days: number;
  readonly rttModel: RttModel;
  readonly countries: readonly Country[];
  readonly byCode: ReadonlyMap<string, Country>;
  readonly space: AddressSpace;
  readonly asns: Set<number>;
  readonly vpns: VpnProvider[];
  readonly placeRtt: Map<string, { readonly median: number; readonly sigma: number }>;
}

function country(world: World, code: string): Country {
  const found = world.byCode.get(code);
  if (found === undefined) {
    throw new Error(`no country ${code}`);
  }
  return found;
}

function newAsn(world: World, rng: Rng, old: boolean): number {
  for (;;) {
    // Choice: incumbents have old 16-bit numbers, newer ISPs and hosts 32-bit-era ones.
    const asn = old ? 1_000 + rng.int(60_000) : 196_608 + rng.int(200_000);
    if (!world.asns.has(asn)) {
      world.asns.add(asn);
      return asn;
    }
  }
}

function newNetwork(
  world: World,
  asn: number,
  kind: NetworkKind,
  share: number,
  regions: ReadonlySet<string> | undefined,
): Network {
  return {
    asn,
    kind,
    share,
    regions,
    pools: [],
    byPlace: new Map(),
    hubPools: [],
    block: world.space.slash16(),
    offset: 0,
  };
}

function allocate(world: World, network: Network, size: number, place: Place): Pool {
  let offset = Math.ceil(network.offset / size) * size;
  if (offset + size > 65_536) {
    network.block = world.space.slash16();
    offset = 0;
  }
  network.offset = offset + size;
  const pool: Pool = { base: network.block + offset, size, network, place };
  network.pools.push(pool);
  const list = network.byPlace.get(place);
  if (list === undefined) {
    network.byPlace.set(place, [pool]);
  } else {
    list.push(pool);
  }
  return pool;
}

function serves(network: Network, region: string): boolean {
  return network.regions === undefined || network.regions.has(region);
}

function buildCountry(spec: CountrySpec): Country {
  const totalRegion = spec.regions.reduce((sum, region) => sum + region.weight, 0);
  const regions: Region[] = [];
  const places: Place[] = [];
  for (const region of spec.regions) {
    // Cities of a region: Zipf weights (the first is the largest).
    const harmonic = region.cities.reduce((sum, _, i) => sum + 1 / (i + 1), 0);
    const cities = region.cities.map((city, i): Place => {
      const place: Place = {
        code: spec.code,
        region: region.name,
        city,
        rtt: spec.rtt + region.rtt + (i === 0 ? 0 : 1 + (i % 3)),
        weight: region.weight / totalRegion / (i + 1) / harmonic,
        key: `${spec.code}|${region.name}|${city}`,
      };
      places.push(place);
      return place;
    });
    regions.push({ name: region.name, cities });
  }
  const capital = at(places, 0);
  const others = places.slice(1).sort((a, b) => b.weight - a.weight);
  const unknown: Place = {
    code: spec.code,
    region: '-',
    city: '-',
    rtt: spec.rtt + 3,
    weight: 0,
    key: `${spec.code}|-|-`,
  };
  return {
    spec,
    regions,
    places,
    capital,
    unknown,
    hubs: [capital, ...others.slice(0, 2)],
    fixed: [],
    mobile: [],
    hosting: [],
    offices: [],
  };
}

function buildWorld(seed: number, days: number, rttModel: RttModel): World {
  const rng = new Rng(seedOf(seed, 'world'));
  const countries = COUNTRIES.map(buildCountry);
  const world: World = {
    seed,
    days,
    rttModel,
    countries,
    byCode: new Map(countries.map((c) => [c.spec.code, c])),
    space: new AddressSpace(new Rng(seedOf(seed, 'space'))),
    asns: new Set(),
    vpns: [],
    placeRtt: new Map(),
  };
  for (const c of countries) {
    // Fixed-line ISPs: Zipf-like shares; the two or three largest serve the whole country, the rest
    // one or two regions. Choice: shares 1/(k+1)^1.2; residential /24s per city in proportion to
    // share × population (about 2 + 400 × share × city weight), so addresses rarely collide.
    const n = c.spec.isps;
    const raw = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** 1.2);
    const total = raw.reduce((a, b) => a + b, 0);
    for (let k = 0; k < n; k++) {
      const national = k < 2 || (k < 3 && n >= 5) || c.regions.length === 1;
      let regions: Set<string> | undefined;
      if (!national) {
        regions = new Set([rng.weighted(c.spec.regions, (x) => x.weight).name]);
        if (rng.chance(0.4)) {
          regions.add(rng.weighted(c.spec.regions, (x) => x.weight).name);
        }
      }
      const isp = newNetwork(world, newAsn(world, rng, k < 2), 'fixed', at(raw, k) / total, regions);
      for (const place of c.places) {
        if (serves(isp, place.region)) {
          const pools = 2 + Math.floor(isp.share * place.weight * 400);
          for (let i = 0; i < pools; i++) {
            allocate(world, isp, 256, place);
          }
        }
      }
      c.fixed.push(isp);
    }
    // Mobile carriers: the two largest share their ASN with the two largest fixed ISPs (as
    // incumbents do), the third has its own. Carrier-grade NAT: one /24 per hub, and about 30 % of
    // those geolocate to the country only.
    const shares = [0.5, 0.3, 0.2];
    for (let k = 0; k < 3; k++) {
      const asn = k < 2 && c.fixed[k] !== undefined ? at(c.fixed, k).asn : newAsn(world, rng, false);
      const carrier = newNetwork(world, asn, 'mobile', at(shares, k), undefined);
      for (const hub of c.hubs) {
        carrier.hubPools.push(allocate(world, carrier, 256, rng.chance(0.3) ? c.unknown : hub));
      }
      c.mobile.push(carrier);
    }
    // Two local hosting companies with a data centre in the capital.
    for (let k = 0; k < 2; k++) {
      const host = newNetwork(world, newAsn(world, rng, false), 'hosting', 1, undefined);
      allocate(world, host, 1024, c.capital);
      c.hosting.push(host);
    }
    // Offices (only where the service has users): 40 % with their own ASN, the rest on a business
    // block of an ISP serving their region; a handful of NAT addresses each.
    if (c.spec.home > 0) {
      const count = Math.max(3, Math.round(c.spec.home * 0.4));
      for (let i = 0; i < count; i++) {
        const place = rng.weighted(c.places, (p) => p.weight);
        const size = rng.pick([2, 4, 4, 8]);
        let network: Network;
        if (rng.chance(0.4)) {
          network = newNetwork(world, newAsn(world, rng, rng.chance(0.5)), 'enterprise', 0, undefined);
        } else {
          network = rng.weighted(
            c.fixed.filter((isp) => serves(isp, place.region)),
            (isp) => isp.share,
          );
        }
        c.offices.push({ place, pool: allocate(world, network, size, place) });
      }
    }
  }
  // Global hosting providers: data centres in 2–7 countries weighted towards the usual ones.
  const dcWeight = (c: Country): number =>
    ({ US: 30, NL: 12, DE: 12, GB: 8, FR: 8, SG: 6, SE: 3, NO: 2, PL: 2, LT: 2, RU: 5, UA: 2, BR: 3, IN: 3 })[
      c.spec.code
    ] ?? 0.5;
  for (let k = 0; k < 12; k++) {
    const host = newNetwork(world, newAsn(world, rng, k < 4), 'hosting', 1, undefined);
    const count = 2 + rng.int(6);
    const chosen = new Set<Country>();
    for (let i = 0; i < count; i++) {
      chosen.add(rng.weighted(countries, dcWeight));
    }
    for (const c of chosen) {
      allocate(world, host, 1024, rng.chance(0.7) ? c.capital : rng.weighted(c.places, (p) => p.weight));
      c.hosting.push(host);
    }
  }
  // Commercial VPN providers: six, Zipf-like popularity, an exit (a /27 rented from a hosting
  // company there) in every country. Legitimate users and the vpn attacker share them.
  for (let k = 0; k < 6; k++) {
    const exits = new Map<string, Pool>();
    for (const c of countries) {
      const host = rng.pick(c.hosting);
      const dc = at(
        host.pools.filter((p) => p.place.code === c.spec.code),
        0,
      );
      exits.set(c.spec.code, allocate(world, host, 32, dc.place));
    }
    world.vpns.push({ weight: 1 / (k + 1), exits });
  }
  return world;
}

// ---------------------------------------------------------------------------------------------
// Browsers and User-Agent strings, from 2020–21 release dates. A device shows the version released
// `lag` days earlier (its own update habit); a few devices stop updating altogether.

const dateMs = (iso: string): number => Date.parse(`${iso}T00:00:00Z`);

/** Chrome stable: major, release date, build, Edge build of the same major. */
const CHROME: readonly (readonly [number, number, number, number])[] = [
  [75, dateMs('2019-06-04'), 3770, 0],
  [76, dateMs('2019-07-30'), 3809, 0],
  [77, dateMs('2019-09-10'), 3865, 235],
  [78, dateMs('2019-10-22'), 3904, 276],
  [79, dateMs('2019-12-10'), 3945, 309],
  [80, dateMs('2020-02-04'), 3987, 361],
  [81, dateMs('2020-04-07'), 4044, 416],
  [83, dateMs('2020-05-19'), 4103, 478],
  [84, dateMs('2020-07-14'), 4147, 522],
  [85, dateMs('2020-08-25'), 4183, 564],
  [86, dateMs('2020-10-06'), 4240, 622],
  [87, dateMs('2020-11-17'), 4280, 664],
  [88, dateMs('2021-01-19'), 4324, 705],
  [89, dateMs('2021-03-02'), 4389, 774],
  [90, dateMs('2021-04-13'), 4430, 818],
  [91, dateMs('2021-05-25'), 4472, 864],
];

interface ChromeVersion {
  readonly major: number;
  readonly build: number;
  readonly patch: number;
  readonly edgeBuild: number;
  readonly edgePatch: number;
}

function chromeAt(t: number): ChromeVersion {
  let entry = at(CHROME, 0);
  for (const release of CHROME) {
    if (release[1] <= t) {
      entry = release;
    }
  }
  let [major, released, build, edgeBuild] = entry;
  const last = at(CHROME, CHROME.length - 1);
  if (entry === last && t - released > 42 * DAY) {
    // After the table: a release every six weeks.
    const extra = Math.floor((t - released) / (42 * DAY));
    major += extra;
    released += extra * 42 * DAY;
    build += 45 * extra;
    edgeBuild += 45 * extra;
  }
  // Patch releases about every ten days.
  const step = Math.floor(Math.max(0, t - released) / (10 * DAY));
  return { major, build, patch: 80 + 15 * step + (major % 7), edgeBuild, edgePatch: 40 + 11 * step };
}

function firefoxAt(t: number): number {
  // 74 on 2020-03-10, then every four weeks (75 on 2020-04-07 … 84 on 2020-12-15).
  return Math.max(72, 74 + Math.floor((t - dateMs('2020-03-10')) / (28 * DAY)));
}

/** Apple: date, iOS version, its Safari, the current macOS 10.15.x (Big Sur still says 10_15_7), its Safari. */
const APPLE: readonly (readonly [number, string, string, string, string])[] = [
  [dateMs('2019-09-24'), '13.1', '13.0.1', '10.15', '13.0.1'],
  [dateMs('2019-10-28'), '13.2', '13.0.3', '10.15.1', '13.0.3'],
  [dateMs('2019-12-10'), '13.3', '13.0.4', '10.15.2', '13.0.4'],
  [dateMs('2020-01-28'), '13.3.1', '13.0.5', '10.15.3', '13.0.5'],
  [dateMs('2020-03-24'), '13.4', '13.1', '10.15.4', '13.1'],
  [dateMs('2020-05-20'), '13.5', '13.1.1', '10.15.5', '13.1.1'],
  [dateMs('2020-07-15'), '13.6', '13.1.2', '10.15.6', '13.1.2'],
  [dateMs('2020-09-16'), '14.0', '14.0', '10.15.6', '14.0'],
  [dateMs('2020-11-05'), '14.2', '14.0.1', '10.15.7', '14.0.1'],
  [dateMs('2020-12-14'), '14.3', '14.0.2', '10.15.7', '14.0.2'],
  [dateMs('2021-01-26'), '14.4', '14.0.3', '10.15.7', '14.0.3'],
  [dateMs('2021-04-26'), '14.5', '14.1', '10.15.7', '14.1'],
];

function appleAt(t: number): readonly [number, string, string, string, string] {
  let entry = at(APPLE, 0);
  for (const release of APPLE) {
    if (release[0] <= t) {
      entry = release;
    }
  }
  return entry;
}

/** Samsung Internet: date, version, its Chromium. */
const SAMSUNG: readonly (readonly [number, string, string])[] = [
  [dateMs('2019-12-01'), '10.2', '71.0.3578.99'],
  [dateMs('2020-02-01'), '11.1', '75.0.3770.143'],
  [dateMs('2020-04-20'), '11.2', '75.0.3770.143'],
  [dateMs('2020-07-01'), '12.0', '79.0.3945.136'],
  [dateMs('2020-08-20'), '12.1', '79.0.3945.136'],
  [dateMs('2020-11-10'), '13.0', '83.0.4103.106'],
  [dateMs('2021-01-20'), '13.2', '83.0.4103.106'],
  [dateMs('2021-04-10'), '14.0', '87.0.4280.141'],
];

type Platform = 'windows' | 'mac' | 'linux' | 'android' | 'android-tablet' | 'iphone' | 'ipad';
type Browser = 'chrome' | 'edge' | 'firefox' | 'safari' | 'samsung';

interface DeviceSpec {
  readonly platform: Platform;
  readonly browser: Browser;
  /** Windows NT version. */
  readonly nt: string;
  /** A Mac that stays on an older macOS (its Safari still updates). */
  readonly macos: string | undefined;
  readonly model: string;
  /** Android major version, and when (if ever) the device gets the next one. */
  readonly android: number;
  readonly androidUpgrade: number;
  /** An iPhone stuck on iOS 12. */
  readonly oldIos: boolean;
  readonly lagDays: number;
  /** The device stops updating at this time. */
  readonly frozenAt: number;
}

interface Agent {
  readonly ua: string;
  readonly browser: string;
  readonly os: string;
  readonly device: 'desktop' | 'mobile' | 'tablet';
}

const WINDOWS_NAME: Readonly<Record<string, string>> = {
  '10.0': 'Windows 10',
  '6.1': 'Windows 7',
  '6.3': 'Windows 8.1',
};

function androidText(major: number): string {
  return major <= 8 ? `${major}.0.0` : String(major);
}

function agentOf(spec: DeviceSpec, now: number): Agent {
  const t = Math.min(now, spec.frozenAt) - spec.lagDays * DAY;
  const c = chromeAt(t);
  const chrome = `${c.major}.0.${c.build}.${c.patch}`;
  const chromeName = `${c.major}.0.${c.build}`;
  const fx = firefoxAt(t);
  const [, ios, iosSafari, macos, macSafari] = appleAt(t);
  const webkit = 'AppleWebKit/537.36 (KHTML, like Gecko)';
  switch (spec.platform) {
    case 'windows': {
      const os = WINDOWS_NAME[spec.nt] ?? 'Windows';
      const win = `Windows NT ${spec.nt}; Win64; x64`;
      if (spec.browser === 'firefox') {
        const ua = `Mozilla/5.0 (${win}; rv:${fx}.0) Gecko/20100101 Firefox/${fx}.0`;
        return { ua, browser: `Firefox ${fx}.0`, os, device: 'desktop' };
      }
      if (spec.browser === 'edge') {
        const ua = `Mozilla/5.0 (${win}) ${webkit} Chrome/${chrome} Safari/537.36 Edg/${c.major}.0.${c.edgeBuild}.${c.edgePatch}`;
        return { ua, browser: `Edge ${c.major}.0.${c.edgeBuild}`, os, device: 'desktop' };
      }
      const ua = `Mozilla/5.0 (${win}) ${webkit} Chrome/${chrome} Safari/537.36`;
      return { ua, browser: `Chrome ${chromeName}`, os, device: 'desktop' };
    }
    case 'mac':
    case 'ipad': {
      // iPadOS 13+ Safari asks for the desktop site: its User-Agent is a Mac's.
      const version = spec.macos ?? macos;
      const os = `Mac OS X ${version}`;
      const underscored = version.replaceAll('.', '_');
      if (spec.browser === 'firefox') {
        const ua = `Mozilla/5.0 (Macintosh; Intel Mac OS X ${version.split('.').slice(0, 2).join('.')}; rv:${fx}.0) Gecko/20100101 Firefox/${fx}.0`;
        return { ua, browser: `Firefox ${fx}.0`, os, device: 'desktop' };
      }
      if (spec.browser === 'chrome') {
        const ua = `Mozilla/5.0 (Macintosh; Intel Mac OS X ${underscored}) ${webkit} Chrome/${chrome} Safari/537.36`;
        return { ua, browser: `Chrome ${chromeName}`, os, device: 'desktop' };
      }
      const ua = `Mozilla/5.0 (Macintosh; Intel Mac OS X ${underscored}) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${macSafari} Safari/605.1.15`;
      return { ua, browser: `Safari ${macSafari}`, os, device: 'desktop' };
    }
    case 'linux': {
      if (spec.browser === 'firefox') {
        const ua = `Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:${fx}.0) Gecko/20100101 Firefox/${fx}.0`;
        return { ua, browser: `Firefox ${fx}.0`, os: 'Ubuntu', device: 'desktop' };
      }
      const ua = `Mozilla/5.0 (X11; Linux x86_64) ${webkit} Chrome/${chrome} Safari/537.36`;
      return { ua, browser: `Chrome ${chromeName}`, os: 'Linux', device: 'desktop' };
    }
    case 'android':
    case 'android-tablet': {
      const major = now >= spec.androidUpgrade ? spec.android + 1 : spec.android;
      const av = androidText(major);
      const os = `Android ${av}`;
      const device = spec.platform === 'android' ? 'mobile' : 'tablet';
      const mobile = device === 'mobile' ? 'Mobile ' : '';
      if (spec.browser === 'firefox') {
        const ua = `Mozilla/5.0 (Android ${av}; ${device === 'mobile' ? 'Mobile' : 'Tablet'}; rv:${fx}.0) Gecko/${fx}.0 Firefox/${fx}.0`;
        return { ua, browser: `Firefox Mobile ${fx}.0`, os, device };
      }
      if (spec.browser === 'samsung') {
        let entry = at(SAMSUNG, 0);
        for (const release of SAMSUNG) {
          if (release[0] <= t) {
            entry = release;
          }
        }
        const ua = `Mozilla/5.0 (Linux; Android ${av}; ${spec.model}) ${webkit} SamsungBrowser/${entry[1]} Chrome/${entry[2]} ${mobile}Safari/537.36`;
        return { ua, browser: `Samsung Internet ${entry[1]}`, os, device };
      }
      const ua = `Mozilla/5.0 (Linux; Android ${av}; ${spec.model}) ${webkit} Chrome/${chrome} ${mobile}Safari/537.36`;
      return { ua, browser: `Chrome Mobile ${chromeName}`, os, device };
    }
    case 'iphone': {
      const version = spec.oldIos ? '12.4.8' : ios;
      const safari = spec.oldIos ? '12.1.2' : iosSafari;
      const head = `Mozilla/5.0 (iPhone; CPU iPhone OS ${version.replaceAll('.', '_')} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)`;
      if (spec.browser === 'chrome') {
        const ua = `${head} CriOS/${chrome} Mobile/15E148 Safari/604.1`;
        return { ua, browser: `Chrome Mobile iOS ${chromeName}`, os: `iOS ${version}`, device: 'mobile' };
      }
      const ua = `${head} Version/${safari} Mobile/15E148 Safari/604.1`;
      return { ua, browser: `Mobile Safari ${safari}`, os: `iOS ${version}`, device: 'mobile' };
    }
  }
}

const SAMSUNG_PHONES = [
  'SM-G973F',
  'SM-G960F',
  'SM-A505FN',
  'SM-A515F',
  'SM-G981B',
  'SM-A405FN',
  'SM-G950F',
  'SM-A202F',
];
const OTHER_PHONES = [
  'Pixel 3a',
  'Pixel 4',
  'ONEPLUS A6013',
  'GM1913',
  'Redmi Note 8 Pro',
  'ELE-L29',
  'Nokia 7.2',
  'moto g(7) power',
];
const TABLETS = ['SM-T510', 'SM-T720', 'Lenovo TB-X505F'];

/**
 * A new device. Choice (Norway-like 2020 shares, from general knowledge, not the papers):
 * Windows 70 % of computers (Chrome 60, Edge 25, Firefox 15; Windows 7 on 12 %), macOS 25 %
 * (Safari 55, Chrome 35, Firefox 10), Linux 5 %; phones half Android (Samsung phones use Samsung
 * Internet one time in four), half iPhone (Safari 90 %); tablets mostly iPads (desktop UA).
 */
function newDevice(rng: Rng, kind: 'computer' | 'phone' | 'tablet', from: number): DeviceSpec {
  const lagDays = rng.chance(0.6)
    ? rng.range(0, 10)
    : rng.chance(0.75)
      ? rng.range(10, 45)
      : rng.range(45, 200);
  const frozenAt = rng.chance(0.04) ? from + rng.range(0, 60) * DAY : Number.POSITIVE_INFINITY;
  const base = {
    nt: '10.0',
    macos: undefined as string | undefined,
    model: '',
    android: 10,
    androidUpgrade: Number.POSITIVE_INFINITY,
    oldIos: false,
    lagDays,
    frozenAt,
  };
  if (kind === 'computer') {
    const p = rng.next();
    if (p < 0.7) {
      const browser: Browser = rng.weighted(['chrome', 'edge', 'firefox'] as const, (b) =>
        b === 'chrome' ? 60 : b === 'edge' ? 25 : 15,
      );
      const nt = rng.chance(0.12) ? '6.1' : rng.chance(0.03) ? '6.3' : '10.0';
      return { ...base, platform: 'windows', browser, nt };
    }
    if (p < 0.95) {
      const browser: Browser = rng.weighted(['safari', 'chrome', 'firefox'] as const, (b) =>
        b === 'safari' ? 55 : b === 'chrome' ? 35 : 10,
      );
      const macos = rng.chance(0.15) ? '10.14.6' : rng.chance(0.05) ? '10.13.6' : undefined;
      return { ...base, platform: 'mac', browser, macos };
    }
    return { ...base, platform: 'linux', browser: rng.chance(0.6) ? 'firefox' : 'chrome' };
  }
  if (kind === 'tablet') {
    if (rng.chance(0.7)) {
      return { ...base, platform: 'ipad', browser: 'safari' };
    }
    return {
      ...base,
      platform: 'android-tablet',
      browser: 'chrome',
      model: rng.pick(TABLETS),
      android: 9 + rng.int(2),
    };
  }
  if (rng.chance(0.5)) {
    return {
      ...base,
      platform: 'iphone',
      browser: rng.chance(0.9) ? 'safari' : 'chrome',
      oldIos: rng.chance(0.05),
    };
  }
  const samsung = rng.chance(0.6);
  const android = rng.weighted([8, 9, 10], (v) => (v === 8 ? 1 : v === 9 ? 3 : 5));
  return {
    ...base,
    platform: 'android',
    browser: samsung && rng.chance(0.25) ? 'samsung' : rng.chance(0.04) ? 'firefox' : 'chrome',
    model: rng.pick(samsung ? SAMSUNG_PHONES : OTHER_PHONES),
    android,
    androidUpgrade:
      android < 11 && rng.chance(0.4) ? START + rng.range(0, 300) * DAY : Number.POSITIVE_INFINITY,
  };
}

/**
 * A popular, current User-Agent (what attack tools send). Choice: Windows 10 Chrome 55 %, Edge 10,
 * Firefox 10, Mac Safari 10, iPhone Safari 10, Samsung Galaxy Chrome 5, at most `maxLag` days old.
 */
function popularAgent(rng: Rng, t: number, maxLag: number): Agent {
  const base: DeviceSpec = {
    platform: 'windows',
    browser: 'chrome',
    nt: '10.0',
    macos: undefined,
    model: 'SM-G973F',
    android: 10,
    androidUpgrade: Number.POSITIVE_INFINITY,
    oldIos: false,
    lagDays: rng.range(0, maxLag),
    frozenAt: Number.POSITIVE_INFINITY,
  };
  const variants: readonly (readonly [number, Platform, Browser])[] = [
    [55, 'windows', 'chrome'],
    [10, 'windows', 'edge'],
    [10, 'windows', 'firefox'],
    [10, 'mac', 'safari'],
    [10, 'iphone', 'safari'],
    [5, 'android', 'chrome'],
  ];
  const [, platform, browser] = rng.weighted(variants, (v) => v[0]);
  return agentOf({ ...base, platform, browser }, t);
}

// ---------------------------------------------------------------------------------------------
// Round-trip times

/**
 * `per-place-random`: each geolocation (city, or country only) has its own log-normal distribution
 * (median = the place's base + a per-place extra of about 15 ms; spread 0.3–0.6) and every event
 * there draws from it, whoever it is. Choice: 1.5 % outliers 3–40 times larger (the dataset has
 * values up to 8.6 million ms). The README says the RTT was drawn from the success status and the
 * geolocation; failed attempts here use the same distribution as successful ones.
 */
function placeRtt(world: World, rng: Rng, place: Place): number {
  let dist = world.placeRtt.get(place.key);
  if (dist === undefined) {
    const own = new Rng(seedOf(world.seed, 'rtt', place.key));
    dist = { median: place.rtt + own.lognormal(15, 0.5), sigma: own.range(0.3, 0.6) };
    world.placeRtt.set(place.key, dist);
  }
  let value = dist.median * Math.exp(dist.sigma * rng.normal());
  if (rng.chance(0.015)) {
    value *= rng.range(3, 40);
  }
  return Math.max(1, Math.round(value));
}

/** The extra time from a VPN exit or proxy to the client behind it (Choice: a rough triangle). */
function leg(a: Place, b: Place): number {
  if (a.key === b.key) {
    return 1;
  }
  if (a.code === b.code) {
    return 4 + Math.abs(a.rtt - b.rtt);
  }
  return Math.max(a.rtt, b.rtt) + 0.3 * Math.min(a.rtt, b.rtt);
}

/**
 * `by-network`: the path's time: server to the address's place, plus the leg to the client when it
 * sits behind a VPN or proxy elsewhere, plus the access network (fibre 2 ms, cable 8, DSL 15,
 * mobile about 35, Wi-Fi abroad 12, data centre 1) and a per-person offset, with jitter and spikes.
 */
function networkRtt(rng: Rng, geo: Place, client: Place, access: number, offset: number): number {
  const base = geo.rtt + (client.key === geo.key ? 0 : leg(geo, client)) + access + offset;
  let value = base * rng.lognormal(1, 0.15) + rng.exponential(3);
  if (rng.chance(0.02)) {
    value *= rng.range(2, 20);
  }
  return Math.max(1, Math.round(value));
}

function rttOf(world: World, rng: Rng, geo: Place, client: Place, access: number, offset: number): number {
  return world.rttModel === 'by-network'
    ? networkRtt(rng, geo, client, access, offset)
    : placeRtt(world, rng, geo);
}

// ---------------------------------------------------------------------------------------------
// People

interface Home {
  readonly from: number;
  readonly place: Place;
  /** The fixed-line ISP; `undefined`: mobile only. */
  readonly isp: Network | undefined;
  /** How long an address lasts; `undefined`: a static address. */
  readonly leaseMs: number | undefined;
  readonly phase: number;
  /** Access latency of the line (ms). */
  readonly line: number;
}

interface Device {
  readonly spec: DeviceSpec;
  readonly from: number;
  readonly until: number;
  readonly weight: number;
  readonly portable: boolean;
  readonly phone: boolean;
}

interface Trip {
  readonly from: number;
  readonly until: number;
  readonly place: Place;
}

interface User {
  readonly id: string;
  readonly index: number;
  readonly country: Country;
  readonly homes: Home[];
  readonly carrier: Network | undefined;
  readonly hub: number;
  readonly mobileShare: number;
  readonly office: Office | undefined;
  readonly vpn: { readonly provider: VpnProvider; readonly exit: string; readonly share: number } | undefined;
  readonly devices: Device[];
  readonly hours: readonly number[];
  readonly hourSigma: number;
  readonly weekendSkip: number;
  readonly trips: Trip[];
  readonly rttOffset: number;
  /** Addresses of the person's legitimate sign-ins. */
  readonly addresses: Set<string>;
  firstSuccess: number;
}

function homeAt(user: User, t: number): Home {
  let home = at(user.homes, 0);
  for (const h of user.homes) {
    if (h.from <= t) {
      home = h;
    }
  }
  return home;
}

function pickIsp(rng: Rng, c: Country, place: Place): Network {
  // Regional ISPs are strong where they are: twice their national share within their regions.
  return rng.weighted(
    c.fixed.filter((isp) => serves(isp, place.region)),
    (isp) => isp.share * (isp.regions === undefined ? 1 : 2),
  );
}

function newHome(rng: Rng, c: Country, place: Place, from: number, mobileOnly: boolean): Home {
  // Choice: 25 % static addresses; the others change every few days to few months.
  const leaseMs = rng.chance(0.25) ? undefined : rng.lognormal(21, 1) * DAY;
  return {
    from,
    place,
    isp: mobileOnly ? undefined : pickIsp(rng, c, place),
    leaseMs,
    phase: rng.range(0, leaseMs ?? 1),
    line: rng.weighted([2, 8, 15], (x) => (x === 2 ? 5 : x === 8 ? 3 : 2)),
  };
}

function buildUser(world: World, index: number, rng: Rng): User {
  const end = START + world.days * DAY;
  const c = rng.weighted(
    world.countries.filter((x) => x.spec.home > 0),
    (x) => x.spec.home,
  );
  const place = rng.weighted(c.places, (p) => p.weight);
  const hasPhone = rng.chance(0.88);
  const hasComputer = !hasPhone || rng.chance(0.8);
  // Choice: 10 % of phone owners have no fixed line; 65 % of phone owners sign in over mobile data
  // some of the time (a personal share of 15–70 %).
  const mobileOnly = hasPhone && rng.chance(0.1);
  const carrier = hasPhone ? rng.weighted(c.mobile, (m) => m.share) : undefined;
  const homes = [newHome(rng, c, place, Number.NEGATIVE_INFINITY, mobileOnly)];
  const change = rng.next();
  if (change < 0.03) {
    // Moves house (anywhere in the country, weighted by population; a new ISP) …
    const to = rng.weighted(c.places, (p) => p.weight);
    homes.push(newHome(rng, c, to, START + rng.range(0, world.days) * DAY, mobileOnly));
  } else if (!mobileOnly && change < 0.06) {
    // … or changes ISP.
    homes.push(newHome(rng, c, place, START + rng.range(0, world.days) * DAY, false));
  }
  const devices: Device[] = [];
  const addDevice = (kind: 'computer' | 'phone' | 'tablet', weight: number, portable: boolean): void => {
    const replaceP = kind === 'phone' ? 0.25 : 0.1;
    let from = Number.NEGATIVE_INFINITY;
    let spec = newDevice(rng, kind, START);
    if (rng.chance(replaceP)) {
      const when = START + rng.range(0, world.days) * DAY;
      devices.push({ spec, from, until: when, weight, portable, phone: kind === 'phone' });
      from = when;
      spec = newDevice(rng, kind, when);
    }
    devices.push({ spec, from, until: Number.POSITIVE_INFINITY, weight, portable, phone: kind === 'phone' });
  };
  if (hasComputer) {
    addDevice('computer', rng.lognormal(1, 0.7), rng.chance(0.6));
  }
  if (hasPhone) {
    addDevice('phone', rng.lognormal(1, 0.7), true);
  }
  if (rng.chance(0.18)) {
    addDevice('tablet', rng.lognormal(0.4, 0.5), true);
  }
  if (rng.chance(0.12)) {
    // A second computer (work laptop, family PC).
    addDevice('computer', rng.lognormal(0.5, 0.6), true);
  }
  const homeRegionOffices = c.offices.filter((o) => o.place.region === place.region);
  const office =
    hasComputer && rng.chance(0.35) && c.offices.length > 0
      ? rng.pick(homeRegionOffices.length > 0 && rng.chance(0.8) ? homeRegionOffices : c.offices)
      : undefined;
  let vpn: User['vpn'];
  if (rng.chance(0.04)) {
    const provider = rng.weighted(world.vpns, (v) => v.weight);
    const exit = rng.chance(0.5) ? c.spec.code : rng.pick(VPN_ABROAD);
    vpn = { provider, exit, share: rng.range(0.3, 0.95) };
  }
  // Trips: 40 % never travel; the others about twice a year (log-normal), 2–14 days; a third of
  // trips stay in the country.
  const trips: Trip[] = [];
  if (rng.chance(0.6)) {
    const count = rng.poisson((rng.lognormal(2, 0.8) * world.days) / 365);
    for (let i = 0; i < count; i++) {
      const from = START + rng.range(0, world.days) * DAY;
      const elsewhere = c.places.filter((p) => p.region !== place.region);
      let dest: Place;
      if (rng.chance(0.33) && elsewhere.length > 0) {
        dest = rng.weighted(elsewhere, (p) => p.weight);
      } else {
        const abroad = rng.weighted(
          world.countries.filter((x) => x !== c && x.spec.travel > 0),
          (x) => x.spec.travel,
        );
        dest = rng.weighted(abroad.places, (p) => p.weight);
      }
      trips.push({ from, until: Math.min(end, from + rng.range(2, 14) * DAY), place: dest });
    }
  }
  const hubIndex = c.hubs.findIndex((h) => h.region === place.region);
  const modes = [7.5, 12, 15.5, 20.5, 22];
  const hours = [rng.pick(modes) + rng.normal()];
  if (rng.chance(0.5)) {
    hours.push(rng.pick(modes) + rng.normal());
  }
  return {
    id: String(1_000_000_000 + rng.int(8_999_999_999)),
    index,
    country: c,
    homes,
    carrier,
    hub: hubIndex >= 0 && rng.chance(0.8) ? hubIndex : rng.chance(0.6) ? 0 : rng.int(c.hubs.length),
    mobileShare: carrier !== undefined && (mobileOnly || rng.chance(0.65)) ? rng.range(0.15, 0.7) : 0,
    office,
    vpn,
    devices,
    hours,
    hourSigma: rng.range(0.7, 2.5),
    weekendSkip: office !== undefined ? rng.range(0.3, 0.8) : rng.range(0, 0.3),
    trips,
    rttOffset: rng.range(0, 6),
    addresses: new Set(),
    firstSuccess: Number.POSITIVE_INFINITY,
  };
}

/**
 * Sign-in times. Choice: the number of successful sign-ins is log-normal (median 2, σ 1.5: mean ≈ 6,
 * a heavy tail of daily users), over the person's active span (55 % present from the start, the
 * others join at a uniform time; 20 % leave early). Each falls on a day of the span (weekends
 * avoided by a personal share), at a personal habitual hour (one or two modes, σ 0.7–2.5 h, local
 * time); 15 % are a re-login 5 min–3 h after the previous one, from the same place and device.
 */
function signInTimes(world: World, user: User, rng: Rng): { t: number; again: boolean }[] {
  const span = world.days * DAY;
  const count = Math.min(3 * world.days, Math.max(1, Math.round(rng.lognormal(2, 1.5))));
  const start = START + (rng.chance(0.55) ? 0 : rng.range(0, 0.95) * span);
  const end = rng.chance(0.2) ? start + rng.range(0.2, 1) * (START + span - start) : START + span;
  const out: { t: number; again: boolean }[] = [];
  for (let i = 0; i < count; i++) {
    const previous = out[out.length - 1];
    if (previous !== undefined && rng.chance(0.15)) {
      const t = previous.t + 5 * MINUTE + rng.exponential(40 * MINUTE);
      if (t < START + span) {
        out.push({ t, again: true });
        continue;
      }
    }
    let day = 0;
    for (let tries = 0; tries < 3; tries++) {
      day = Math.floor((start + rng.next() * (end - start) - START) / DAY);
      const weekday = new Date(START + day * DAY).getUTCDay();
      if ((weekday !== 0 && weekday !== 6) || !rng.chance(user.weekendSkip)) {
        break;
      }
    }
    const hour = (((rng.pick(user.hours) + user.hourSigma * rng.normal()) % 24) + 24) % 24;
    const t = START + day * DAY + (hour - user.country.spec.utc) * HOUR + rng.int(60_000);
    out.push({ t: Math.min(START + span - 1, Math.max(START, t)), again: false });
  }
  return out.sort((a, b) => a.t - b.t);
}

// ---------------------------------------------------------------------------------------------
// Legitimate sign-ins

interface Context {
  readonly device: Device;
  readonly pool: Pool;
  readonly address: string;
  /** Where the person physically is (differs from the address's place behind a VPN or roaming). */
  readonly client: Place;
  readonly access: number;
}

function activeDevices(user: User, t: number, travelling: boolean): Device[] {
  const active = user.devices.filter((d) => d.from <= t && t < d.until);
  const portable = active.filter((d) => d.portable);
  return travelling && portable.length > 0 ? portable : active;
}

/**
 * The home line's address: fixed for the lease. Choice (geolocation databases are coarse): 75 %
 * of leases geolocate to the home city, 20 % to another city of the region, 5 % (national ISPs) to
 * the capital.
 */
function homeAddress(
  world: World,
  user: User,
  home: Home,
  isp: Network,
  t: number,
): { pool: Pool; address: string } {
  const lease = home.leaseMs === undefined ? 0 : Math.floor((t + home.phase) / home.leaseMs);
  const rng = new Rng(seedOf(world.seed, 'lease', user.index, home.from, lease));
  const c = user.country;
  let place = home.place;
  const p = rng.next();
  if (p > 0.95 && isp.regions === undefined) {
    place = c.capital;
  } else if (p > 0.75) {
    const region = c.regions.find((x) => x.name === home.place.region);
    if (region !== undefined) {
      place = rng.weighted(region.cities, (x) => x.weight);
    }
  }
  const pools = isp.byPlace.get(place) ?? isp.byPlace.get(home.place) ?? isp.pools;
  const pool = rng.pick(pools);
  return { pool, address: addressIn(pool, rng) };
}

function mobileAddress(user: User, carrier: Network, rng: Rng): { pool: Pool; address: string } {
  const pool = at(carrier.hubPools, Math.min(user.hub, carrier.hubPools.length - 1));
  return { pool, address: addressIn(pool, rng) };
}

function contextAt(world: World, user: User, t: number, rng: Rng): Context {
  const trip = user.trips.find((x) => x.from <= t && t < x.until);
  const devices = activeDevices(user, t, trip !== undefined);
  const device = rng.weighted(devices.length > 0 ? devices : user.devices, (d) => d.weight);
  const home = homeAt(user, t);
  const local = new Date(t + user.country.spec.utc * HOUR);
  const hour = local.getUTCHours();
  const weekday = local.getUTCDay() !== 0 && local.getUTCDay() !== 6;
  const vpn = user.vpn;
  if (vpn !== undefined && rng.chance(vpn.share)) {
    const code = rng.chance(0.8) ? vpn.exit : rng.pick([user.country.spec.code, ...VPN_ABROAD]);
    const pool = vpn.provider.exits.get(code) ?? at([...vpn.provider.exits.values()], 0);
    const client = trip?.place ?? home.place;
    return { device, pool, address: addressIn(pool, rng), client, access: home.line + 3 };
  }
  if (trip !== undefined) {
    if (device.phone && user.carrier !== undefined && rng.chance(0.45)) {
      // Roaming: the home carrier's address, geolocated at home.
      const { pool, address } = mobileAddress(user, user.carrier, rng);
      return { device, pool, address, client: trip.place, access: 45 };
    }
    // Hotel, café or friend's Wi-Fi: a local ISP at the destination.
    const isp = pickIsp(rng, country(world, trip.place.code), trip.place);
    const pools = isp.byPlace.get(trip.place) ?? isp.pools;
    const pool = rng.pick(pools);
    return { device, pool, address: addressIn(pool, rng), client: trip.place, access: 12 };
  }
  if (user.office !== undefined && !device.phone && weekday && hour >= 8 && hour < 16 && rng.chance(0.8)) {
    const pool = user.office.pool;
    return { device, pool, address: addressIn(pool, rng), client: pool.place, access: 3 };
  }
  if (
    user.carrier !== undefined &&
    (home.isp === undefined || (device.phone && rng.chance(user.mobileShare)))
  ) {
    const { pool, address } = mobileAddress(user, user.carrier, rng);
    return { device, pool, address, client: home.place, access: rng.range(25, 50) };
  }
  if (rng.chance(0.03)) {
    // Public Wi-Fi or a friend's line in the home city.
    const isp = pickIsp(rng, user.country, home.place);
    const pool = rng.pick(isp.byPlace.get(home.place) ?? isp.pools);
    return { device, pool, address: addressIn(pool, rng), client: home.place, access: 10 };
  }
  const isp = home.isp ?? pickIsp(rng, user.country, home.place);
  const { pool, address } = homeAddress(world, user, home, isp, t);
  return { device, pool, address, client: home.place, access: home.line };
}

interface Draft {
  readonly t: number;
  readonly seq: number;
  readonly event: Record<string, unknown>;
  readonly truth: Truth;
  readonly address: string;
}

function timestamp(t: number): string {
  return new Date(t).toISOString().replace('T', ' ').replace('Z', '');
}

function draft(
  time: number,
  seq: number,
  userId: string,
  pool: Pool,
  address: string,
  agent: Agent,
  rtt: number,
  success: boolean,
  takeover: boolean,
  session: string,
  truth: Truth,
): Draft {
  const t = Math.round(time);
  const place = pool.place;
  const event: Record<string, unknown> = {
    'IP Address': address,
    Country: place.code,
    Region: place.region,
    City: place.city,
    ASN: pool.network.asn,
    'User Agent String': agent.ua,
    'Browser Name and Version': agent.browser,
    'OS Name and Version': agent.os,
    'Device Type': agent.device,
    'Round-Trip Time [ms]': rtt,
    'Login Timestamp': timestamp(t),
    'User ID': userId,
    'Login Successful': success,
    'Is Attack IP': false,
    'Is Account Takeover': takeover,
    'Event Type': 'login',
    'Epoch ms': t,
    'Session ID': success ? session : '',
  };
  return { t, seq, event, truth, address };
}

// ---------------------------------------------------------------------------------------------
// The simulation

/**
 * An RBA-like labelled stream: legitimate sign-ins of `users` people over `days` days, and
 * `attacksPerModel` sign-in attacks of each of `naive`, `vpn`, `targeted` and `stuffing`.
 */
export function simulateRbaLike(options: RbaLikeOptions): LabelledEvent[] {
  const days = options.days ?? 180;
  const world = buildWorld(options.seed, days, options.rtt ?? 'per-place-random');
  const drafts: Draft[] = [];
  let seq = 0;
  const people: User[] = [];
  const ids = new Set<string>();
  for (let i = 0; i < options.users; i++) {
    const rng = new Rng(seedOf(options.seed, 'user', i));
    // Round-trip times draw from their own stream: both RTT models give the same events otherwise.
    const rttRng = new Rng(seedOf(options.seed, 'user', i, 'rtt'));
    let user = buildUser(world, i, rng);
    while (ids.has(user.id)) {
      user = { ...user, id: String(1_000_000_000 + rng.int(8_999_999_999)) };
    }
    ids.add(user.id);
    people.push(user);
    let previous: Context | undefined;
    for (const { t, again } of signInTimes(world, user, rng)) {
      const context = again && previous !== undefined ? previous : contextAt(world, user, t, rng);
      previous = context;
      const agent = agentOf(context.device.spec, t);
      const truth: Truth = { kind: 'legit', user: user.id };
      const rtt = (): number =>
        rttOf(world, rttRng, context.pool.place, context.client, context.access, user.rttOffset);
      // About 5 % of sign-ins follow a failed attempt (a typo) from the same device, seconds before;
      // one in ten of those, two failures.
      if (rng.chance(0.05)) {
        const failures = rng.chance(0.1) ? 2 : 1;
        for (let k = failures; k >= 1; k--) {
          const when = t - k * rng.range(5_000, 45_000);
          drafts.push(
            draft(when, seq++, user.id, context.pool, context.address, agent, rtt(), false, false, '', truth),
          );
        }
      }
      drafts.push(
        draft(
          t,
          seq++,
          user.id,
          context.pool,
          context.address,
          agent,
          rtt(),
          true,
          false,
          rng.hex(16),
          truth,
        ),
      );
      user.addresses.add(context.address);
      user.firstSuccess = Math.min(user.firstSuccess, t);
    }
  }

  // Victims: people whose first successful sign-in came before the attack.
  const byFirst = people
    .filter((p) => Number.isFinite(p.firstSuccess))
    .sort((a, b) => a.firstSuccess - b.firstSuccess);
  const victim = (rng: Rng, t: number): User | undefined => {
    let low = 0;
    let high = byFirst.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (at(byFirst, mid).firstSuccess < t) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low === 0 ? undefined : at(byFirst, rng.int(low));
  };
  const attackTime = (rng: Rng): number => START + 7 * DAY + rng.next() * (days - 7) * DAY;
  const attackAddresses = new Set<string>();
  const attackHosts = (rng: Rng, count: number, residential: number): AttackHost[] => {
    const hosts: AttackHost[] = [];
    for (let i = 0; i < count; i++) {
      const c = rng.weighted(world.countries, (x) => x.spec.attack);
      const network = rng.chance(residential) ? pickIsp(rng, c, rng.pick(c.places)) : rng.pick(c.hosting);
      const pools = network.pools.filter((p) => p.place.code === c.spec.code);
      const pool = rng.pick(pools.length > 0 ? pools : network.pools);
      hosts.push({ address: addressIn(pool, rng), pool });
    }
    return hosts;
  };
  const attacker = (rng: Rng): Place => {
    const c = rng.weighted(world.countries, (x) => x.spec.attack);
    return rng.weighted(c.places, (p) => p.weight);
  };

  // naive: attack infrastructure (65 % hosting, 35 % compromised residential hosts abroad, in
  // countries weighted by attack share), a pool of about attacks/8 addresses reused Zipf-like
  // across many attempts, a popular current User-Agent. Choice (by-network RTT): half run on the
  // host itself, half go through it from elsewhere.
  {
    const rng = new Rng(seedOf(options.seed, 'naive'));
    const rttRng = new Rng(seedOf(options.seed, 'naive', 'rtt'));
    const hosts = attackHosts(rng, Math.max(8, Math.round(options.attacksPerModel / 8)), 0.35);
    const zipf = hosts.map((_, i) => 1 / (i + 1));
    for (let i = 0; i < options.attacksPerModel; i++) {
      const t = attackTime(rng);
      const target = victim(rng, t);
      if (target === undefined) {
        continue;
      }
      const host = at(hosts, rng.index(zipf));
      attackAddresses.add(host.address);
      const client = rng.chance(0.5) ? host.pool.place : attacker(rng);
      const rtt = rttOf(world, rttRng, host.pool.place, client, 1, 0);
      const truth: Truth = { kind: 'naive', user: target.id };
      const agent = popularAgent(rng, t, 21);
      drafts.push(
        draft(t, seq++, target.id, host.pool, host.address, agent, rtt, true, true, rng.hex(16), truth),
      );
    }
  }

  // vpn: an exit of a commercial VPN (the same ones legitimate users use) in the victim's country,
  // a popular current User-Agent; the attacker sits abroad.
  {
    const rng = new Rng(seedOf(options.seed, 'vpn'));
    const rttRng = new Rng(seedOf(options.seed, 'vpn', 'rtt'));
    for (let i = 0; i < options.attacksPerModel; i++) {
      const t = attackTime(rng);
      const target = victim(rng, t);
      if (target === undefined) {
        continue;
      }
      const provider = rng.weighted(world.vpns, (v) => v.weight);
      const pool = provider.exits.get(target.country.spec.code) ?? at([...provider.exits.values()], 0);
      const address = addressIn(pool, rng);
      attackAddresses.add(address);
      const rtt = rttOf(world, rttRng, pool.place, attacker(rng), 1, 0);
      const truth: Truth = { kind: 'vpn', user: target.id };
      const agent = popularAgent(rng, t, 21);
      drafts.push(draft(t, seq++, target.id, pool, address, agent, rtt, true, true, rng.hex(16), truth));
    }
  }

  // targeted: knows the victim's region, ISP and browser. A city of the victim's current home region
  // (weighted by population, possibly the victim's own), an address of the victim's ISP there that
  // the victim never used (a residential proxy; not on attack lists), and the exact User-Agent the
  // victim's main device shows at that time. Mobile-only victims: an address of their carrier's hub.
  {
    const rng = new Rng(seedOf(options.seed, 'targeted'));
    const rttRng = new Rng(seedOf(options.seed, 'targeted', 'rtt'));
    for (let i = 0; i < options.attacksPerModel; i++) {
      const t = attackTime(rng);
      const target = victim(rng, t);
      if (target === undefined) {
        continue;
      }
      const home = homeAt(target, t);
      let pool: Pool;
      if (home.isp !== undefined) {
        const region = target.country.regions.find((x) => x.name === home.place.region);
        const city = region === undefined ? home.place : rng.weighted(region.cities, (x) => x.weight);
        pool = rng.pick(home.isp.byPlace.get(city) ?? home.isp.byPlace.get(home.place) ?? home.isp.pools);
      } else {
        const carrier = target.carrier ?? at(target.country.mobile, 0);
        pool = at(carrier.hubPools, Math.min(target.hub, carrier.hubPools.length - 1));
      }
      let address = addressIn(pool, rng);
      for (let tries = 0; tries < 20 && target.addresses.has(address); tries++) {
        address = addressIn(pool, rng);
      }
      const devices = activeDevices(target, t, false);
      const main = devices.reduce((best, d) => (d.weight > best.weight ? d : best), at(devices, 0));
      const agent = agentOf(main.spec, t);
      // Choice (by-network RTT): half the attackers are in the victim's country, half abroad.
      const client = rng.chance(0.5) ? rng.weighted(target.country.places, (p) => p.weight) : attacker(rng);
      const rtt = rttOf(world, rttRng, pool.place, client, 10, 0);
      const truth: Truth = { kind: 'targeted', user: target.id };
      drafts.push(draft(t, seq++, target.id, pool, address, agent, rtt, true, true, rng.hex(16), truth));
    }
  }

  // stuffing: campaigns of about 80 accounts, each from 2–4 hosting addresses, one attempt every few
  // seconds, 2 % of passwords right. Choice: 60 % of campaigns send one User-Agent, the others rotate
  // among 5–10; the tools' User-Agents are popular ones up to half a year old.
  {
    const rng = new Rng(seedOf(options.seed, 'stuffing'));
    const rttRng = new Rng(seedOf(options.seed, 'stuffing', 'rtt'));
    const campaigns = Math.max(1, Math.round(options.attacksPerModel / 80));
    for (let k = 0; k < campaigns; k++) {
      const size = Math.round(options.attacksPerModel / campaigns);
      let t = attackTime(rng);
      const hosts = attackHosts(rng, 2 + rng.int(3), 0);
      const agents = Array.from({ length: rng.chance(0.6) ? 1 : 5 + rng.int(6) }, () =>
        popularAgent(rng, t, 180),
      );
      const tried = new Set<User>();
      for (let i = 0; i < size; i++) {
        t += 1_000 + rng.exponential(5_000);
        let target = victim(rng, t);
        for (let tries = 0; tries < 10 && target !== undefined && tried.has(target); tries++) {
          target = victim(rng, t);
        }
        if (target === undefined) {
          continue;
        }
        tried.add(target);
        const host = rng.pick(hosts);
        attackAddresses.add(host.address);
        const success = rng.chance(0.02);
        const rtt = rttOf(world, rttRng, host.pool.place, host.pool.place, 1, 0);
        const truth: Truth = { kind: 'stuffing', user: target.id };
        const agent = rng.pick(agents);
        drafts.push(
          draft(
            t,
            seq++,
            target.id,
            host.pool,
            host.address,
            agent,
            rtt,
            success,
            success,
            rng.hex(16),
            truth,
          ),
        );
      }
    }
  }

  // `Is Attack IP` is a property of the address (found in attack data): legitimate sign-ins from a
  // VPN exit that attackers also used carry it too.
  for (const d of drafts) {
    d.event['Is Attack IP'] = attackAddresses.has(d.address);
  }
  drafts.sort((a, b) => a.t - b.t || a.seq - b.seq);
  return drafts.map((d) => ({ event: d.event as RiskEvent, truth: d.truth }));
}
