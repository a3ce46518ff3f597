/**
 * Tessera's risk model. A sign-in's score is a log-likelihood ratio, log p(x | attacker) − log p(x | this
 * person), summed over independent factors, each explainable on its own:
 *
 * - network: the finest level of IP → /24 → ASN → country the person has used before. p(x | person) is
 *   the chance that this person's next sign-in is new down to that level (their own novelty rates,
 *   shrunk towards everyone's) times the matched value's share; p(x | attacker) is the chance that an
 *   attacker of the models reaches that level (an exact IP almost never, the ISP sometimes,
 *   the country often). Back on a known ASN, the chance of a new address there is the ASN's own
 *   (learned from everyone returning to it: CGNAT rotates, a home line does not).
 * - place: city → region, the same way (the targeted attacker knows the victim's region).
 * - client: UA string → browser and version → browser family on OS family → OS family → device type.
 * - rtt, hour: distance from the person's round-trip times on the ASN (with the ASN's learned
 *   spread), or, on an ASN new to them, from everyone's on that ASN in that country, against an
 *   attacker whose relay only adds latency; and from a prediction of their next hour (their usual
 *   hour shrunk towards their home country's, one person's learned spread around it).
 * - client_version: an older browser version than the person's newest on that browser (a copied UA).
 * - prefix_known: a /24 new to the person that others have, or nobody has, signed in from.
 * - velocity: failed sign-ins per IP, per ASN and per account over the last hour, and per ASN over the
 *   last day (stuffing, spraying, attacker infrastructure). Kept as additive decayed sums like the
 *   global tables (`h1:v…`, `h24:v…` keys), so nodes sharing a store add up their counts
 *   ({@link RiskEngineOptions.shareVelocity}).
 * - reputation: for an ASN new to the person, people arriving on it against failures on it.
 * - network_spread: an ASN new to the person that exits in several countries (VPN, hosting).
 * - arrivals: an ASN new to the person on which accounts with a history keep arriving as strangers
 *   and few come back.
 * - strangers: an address new to the person on which many accounts with a history arrived as
 *   strangers to its ASN over the last weeks, and few that know the network (attacker
 *   infrastructure reused across victims, even when every sign-in succeeds).
 * - client also weighs the UA string's popularity: a popular exact UA is weak evidence.
 * - travel: another country than the last sign-in within two hours (when either has no coordinates);
 * - impossible_travel: with coordinates on both, farther than 1,000 km/h could carry the person.
 * - device: the device's own cookie, known or unknown, when the deployment sends one.
 *
 * A token use (`Event Type: token`) is compared with the sign-in of its session: a different UA, a
 * different network or a different round-trip time. Behind the victim's own NAT with a copied UA a
 * replay is the same bytes on the same network and cannot be told apart: sender-constrained (DPoP)
 * tokens are the answer there.
 *
 * Memory is bounded: profiles are fixed-size (profile.ts), capped in number (least recently learned
 * goes), and sessions and velocity keys are capped too. Scoring is pure: it reads, never writes.
 */
import { decay } from './decayed-counter.js';
import { isTokenEvent, type RiskEvent, readBoolean } from './event.js';
import { extractFeatures, type Features } from './features.js';
import { GlobalTables } from './global-tables.js';
import { hashValue } from './hash.js';
import {
  addValue,
  createProfile,
  decayProfile,
  findSlot,
  LEVEL,
  LEVELS,
  newestVersion,
  noteVersion,
  type Profile,
  RTT_SAMPLES,
  SLOTS,
  shareOf,
} from './profile.js';
import { coarse, impossibleTravel } from './travel.js';

export interface RiskFactor {
  readonly name: string;
  /** This factor's addition to the score (log-likelihood ratio, natural log). */
  readonly value: number;
}

export interface RiskAssessment {
  readonly score: number;
  /** Every factor, largest contribution first. */
  readonly factors: readonly RiskFactor[];
}

export interface RiskEngineOptions {
  /** Profiles kept in memory; the least recently learned goes first. Default 1,000,000. */
  readonly maxProfiles?: number;
  /** Half-life of a history entry's weight. Default 180 days. */
  readonly historyHalfLifeMs?: number;
  /** Sessions remembered for token-use checks. Default 500,000. */
  readonly maxSessions?: number;
  /** Keyed entries of the global tables (per ASN, UA, country, …) kept. Default 1,000,000. */
  readonly maxGlobalKeys?: number;
  /** Velocity sums (failures and attempts per address, ASN, account) kept. Default 2,400,000. */
  readonly maxVelocityKeys?: number;
  /**
   * True: the velocity counters join {@link RiskEngine.takeGlobalDelta} (keys `h…`), so nodes that
   * add their deltas to one store and load its sums count every node's failed sign-ins. Default
   * false: counted in this engine only (nothing is kept for a store that never drains it).
   */
  readonly shareVelocity?: boolean;
}

/** What a sign-in teaches: by default the person's history and the global tables. */
export interface LearnOptions {
  /**
   * Only the person's history: for re-applying a sign-in to a history re-read after a lost write
   * race, whose global part was learned already.
   */
  readonly profileOnly?: boolean;
}

export interface RiskEngine {
  /** Scores an event; reads no label and changes nothing. */
  assess(event: RiskEvent): RiskAssessment;
  /** A successful, legitimate sign-in: joins the person's history and the global tables. */
  learn(event: RiskEvent, options?: LearnOptions): void;
  /** Every event after scoring, with its outcome: velocity counters and session contexts. */
  observe(event: RiskEvent): void;
  /** Exports one person's history (for the right of access) or `undefined`. */
  exportProfile(user: string): Profile | undefined;
  /** Erases one person's history. */
  forget(user: string): boolean;
  /** Puts a person's history (read from a store, see profile-codec.ts) in place of the one held. */
  importProfile(user: string, profile: Profile): void;
  /**
   * What this engine added to the global tables since the last call, as additive sums by key
   * (global-tables.ts); a store adds them to its rows. The engine forgets them.
   */
  takeGlobalDelta(): Record<string, number>;
  /** Gives back a delta that could not be stored, to be taken again with the next one. */
  restoreGlobalDelta(delta: Readonly<Record<string, number>>): void;
  /** Loads summed rows (all or those changed lately): each key becomes the sum plus what is not yet taken. */
  applyGlobal(sums: Readonly<Record<string, number>>): void;
  readonly size: { profiles: number; sessions: number };
}

interface SessionContext {
  user: string;
  ip: number;
  prefix: number;
  asn: number;
  country: number;
  ua: number;
  rttMs: number | undefined;
  /** The ASN of the latest use and how often the session moved between ASNs. */
  lastAsn: number;
  moves: number;
}

/** Per ASN, token uses on the sign-in's ASN: how many came from another address (CGNAT, DHCP). */
interface AsnChurn {
  same: number;
  changed: number;
}

const NET_CHAIN = [LEVEL.ip, LEVEL.prefix, LEVEL.asn, LEVEL.country] as const;
const PLACE_CHAIN = [LEVEL.city, LEVEL.region] as const;
const UA_CHAIN = [LEVEL.ua, LEVEL.browser, LEVEL.family, LEVEL.os, LEVEL.device] as const;
/**
 * The attacker models (docs/risk.md) as a mixture: for each, the chance that its sign-in matches the
 * victim's history first at each level of the network, place and client hierarchies (last entry: at
 * none). Joint per model, so "a new country with the person's own UA" (a traveller) is not confused
 * with "the person's country with someone else's UA" (a VPN attacker). Stuffing is naive in this
 * respect and is caught by velocity as well.
 */
const ATTACKER_MODELS: readonly {
  weight: number;
  net: number[];
  place: number[];
  client: number[];
  /** Picks a popular UA: matching the person's exact UA string is as likely as that string is common. */
  popularUa?: boolean;
}[] = [
  // naive: attacker infrastructure anywhere, a popular UA.
  {
    weight: 0.3,
    net: [0, 0, 0.01, 0.09, 0.9],
    place: [0.02, 0.05, 0.93],
    client: [0.03, 0.03, 0.35, 0.12, 0.27, 0.2],
    popularUa: true,
  },
  // VPN: an exit in the victim's country, a popular UA.
  {
    weight: 0.25,
    net: [0, 0.005, 0.03, 0.945, 0.02],
    place: [0.1, 0.3, 0.6],
    client: [0.03, 0.03, 0.35, 0.12, 0.27, 0.2],
    popularUa: true,
  },
  // targeted: the victim's ISP and region, the victim's exact UA.
  {
    weight: 0.2,
    net: [0.005, 0.05, 0.85, 0.09, 0.005],
    place: [0.7, 0.25, 0.05],
    client: [0.85, 0.05, 0.05, 0.02, 0.02, 0.01],
  },
  // adaptive: the best values within its knowledge (country, device type), not the victim's network.
  {
    weight: 0.25,
    net: [0.001, 0.01, 0.25, 0.7, 0.039],
    place: [0.2, 0.3, 0.5],
    client: [0.05, 0.05, 0.45, 0.1, 0.3, 0.05],
    popularUa: true,
  },
];
type AttackerModel = (typeof ATTACKER_MODELS)[number];
/**
 * The weight of the network, place and client ratio (with its `combination`) in the score: a
 * composite likelihood's weight for components that are not independent. The person's side of that
 * ratio multiplies the three hierarchies' novelty as if independent, and so do the separate factors
 * that read the same novelty again (`rtt` and `prefix_known` on a new network, `arrivals`); on a
 * person's new device on a new network they all fire at once for one event, and the sum counted it
 * several times, where the targeted attacker's evidence (hour, relay, address) is independent of it
 * (docs/risk.md item 49).
 */
const HISTORY_WEIGHT = 0.5;
/** Countries an ASN must have been seen in to count as spanning countries (VPN and hosting exits). */
const SPREAD_COUNTRIES = 3;
/** One person's spread of sign-in hours (variance, hours²) before any is learned, and its weight. */
const HOUR_WITHIN_PRIOR = 9;
const HOUR_PRIOR_N_DEV = 20;
/** The least variance (hours²) of people's usual hours within a country. */
const HOUR_BETWEEN_MIN = 1;
/** The share of the hour's prediction given to the person's own histogram (see `hourFactor`). */
const HOUR_HISTOGRAM_SHARE = 0.2;
/** Pseudo-count pulling a person's novelty rates towards everyone's. */
const SHRINK = 2;
/** Pseudo-count pulling an ASN's address-churn rates towards the person's own. */
const ASN_SHRINK = 5;
/** Per ASN, people's sign-ins back on an ASN they had used: how many came from a new address, a new /24. */
interface AsnReturn {
  n: number;
  newIp: number;
  newPrefix: number;
  /** Squared deviations of log RTT from the person's own mean on the ASN, and their count. */
  rttSq: number;
  rttN: number;
}
/**
 * The keys of the global tables (global-tables.ts). `d30:` sums decay with a 30-day half-life
 * (people arriving on an ASN), `d14:` with the UA-string one (14 days: browsers update), `d180:` with the history's
 * (the RTT populations: they follow a network's sign-ins of the last months).
 */
const G = {
  novel: 'c:novel.',
  trials: 'c:trials.',
  arrivals: 'c:arrivals',
  spreadArrivals: 'c:spreadArrivals',
  signIns: 'c:signIns',
  legit: 'c:legit',
  newPrefix: 'c:newPrefix',
  newPrefixKnown: 'c:newPrefixKnown',
  versionChecks: 'c:versionChecks',
  olderVersions: 'c:olderVersions',
  /** `c:prefix:<hash of a /24>`: someone signed in legitimately from it (kept in a table of hashes). */
  prefixSeen: 'c:prefix:',
  asnReturn: 'c:asnReturn',
  hour: 'c:hour',
  /** Squared deviations (hours²) of returning people's sign-in hours from their own circular mean, scaled, and their count. */
  hourDev: 'c:hourDev',
  hourDevN: 'c:hourDevN',
  signInsDecayed: 'd30:signIns',
  legitDecayed: 'd30:legit',
  asnSignIns: 'd30:asnSignIns',
  asnLegit: 'd30:asnLegit',
  rtt: 'd180:rtt',
  ua: 'd14:ua:',
  uaTotal: 'd14:uaTotal',
} as const;
/**
 * The velocity families (hour and day half-lives); a family's attempts are `<family>a:<id>`, its
 * failures `<family>f:<id>`. Every velocity key starts with `h` (no global-table key does).
 */
const V = {
  ip: 'h1:v:ip',
  asn: 'h1:v:asn',
  account: 'h1:v:acct',
  asnDay: 'h24:v:asn',
  /** Failed sign-ins per ASN over 30-day half-lives (the reputation factor), `…:<asn>`, and all of them. */
  asnFailures: 'h720:v:asnf',
  failures: 'h720:fails',
  /** Countries sign-ins on an ASN came from (network_spread), `…:<asn>:<country hash>`. */
  asnCountry: 'h720:v:asnc',
  /**
   * Sign-in attempts per address (hashed), over 30-day half-lives, by accounts to which the
   * address's ASN was new (`…s:<ip>`, strangers) and by accounts that had used it (`…r:<ip>`).
   */
  ipAccounts: 'h720:v:ipacc',
  /** The same per ASN (`…s:<asn>`, `…r:<asn>`): the arrivals factor. */
  asnAccounts: 'h720:v:asnacc',
} as const;

/**
 * How long a velocity row is worth keeping after its last update (seconds), by key prefix: 24
 * half-lives for the hour's counts, 14 for the day's (what is left is below 2⁻¹⁴ of what was
 * counted). A store's maintenance deletes older rows (they only grow the table).
 */
export const VELOCITY_RETENTION: ReadonlyArray<{ prefix: string; seconds: number }> = [
  { prefix: 'h1:', seconds: 24 * 3_600 },
  { prefix: 'h24:', seconds: 14 * 86_400 },
  { prefix: 'h720:', seconds: 14 * 30 * 86_400 },
];

/** A hash tag for account ids in velocity keys (above every level of a profile). */
const ACCOUNT_TAG = LEVELS + 1;

/** The address as a velocity key: a 32-bit hash in hex, not the address. */
function velocityIp(f: Features): string | undefined {
  return f.ip === undefined ? undefined : (hashValue(LEVEL.ip, f.ip) >>> 0).toString(16);
}

/** The account as a velocity key: a 32-bit hash in hex, not the person's id. */
function velocityAccount(f: Features): string | undefined {
  return f.user === '' ? undefined : (hashValue(ACCOUNT_TAG, f.user) >>> 0).toString(16);
}

/** Splits sums into the velocity counters' (keys `h…`) and the global tables'. */
function splitVelocity(
  sums: Readonly<Record<string, number>>,
): [Record<string, number>, Record<string, number>] {
  const counts: Record<string, number> = {};
  const rest: Record<string, number> = {};
  for (const [key, value] of Object.entries(sums)) {
    (key.charCodeAt(0) === 104 /* h */ ? counts : rest)[key] = value;
  }
  return [counts, rest];
}

/** Prior of an ASN's RTT spread (log scale) and its pseudo-count; the attacker's spread around the victim. */
const RTT_PRIOR_SD = 0.3;
const RTT_PRIOR_N = 5;
const RTT_ATTACKER_SD = 0.7;
/**
 * The attacker's RTT through a relay (the targeted attacker's residential proxy on the victim's ISP):
 * the share of attacker sign-ins that carry one, and the mean of the overhead it adds to log RTT
 * (0.5: about 1.65 times a nearby home line's RTT). A relay never makes a path shorter.
 */
const RTT_RELAY_SHARE = 0.8;
/**
 * Least variance of people's mean log RTTs on one network in one country (σ 0.1: people there differ
 * by at least about 10 %), so a network whose people look alike never fixes a person's mean outright.
 */
const RTT_BETWEEN_MIN_VARIANCE = 0.01;
const RTT_RELAY_MEAN = 0.5;
/**
 * p(an older major version than the person's newest on that browser | attacker): a person's browser
 * only moves forward, an attacker who copied the exact UA string at some earlier time shows the
 * version of then (the targeted model, a fifth of the mixture, whenever the browser updated since),
 * while popular-UA attackers show current versions.
 */
const ATTACKER_OLDER_VERSION = 0.1;
/** Slots of the table of /24s seen in legitimate sign-ins (4 MB). */
const PREFIX_TABLE = 1 << 20;
/** p(an attacker's /24 is one others signed in from): the targeted and adaptive models' residential proxies sometimes are. */
const ATTACKER_KNOWN_PREFIX = 0.2;
/** Legitimate sign-ins on a network (in one country) before its RTT spread speaks for a newcomer. */
const RTT_POPULATION_MIN = 20;
/** Log round-trip times of legitimate sign-ins on one network in one country (decayed count, mean, squared deviations). */
interface RttPopulation {
  n: number;
  mean: number;
  m2: number;
}

function valuesOf(f: Features): (string | undefined)[] {
  const values: (string | undefined)[] = new Array(LEVELS).fill(undefined);
  values[LEVEL.ip] = f.ip;
  values[LEVEL.prefix] = f.prefix;
  values[LEVEL.asn] = f.asn;
  values[LEVEL.country] = f.country;
  values[LEVEL.city] = f.city === undefined ? undefined : `${f.country}|${f.region}|${f.city}`;
  values[LEVEL.region] = f.region === undefined ? undefined : `${f.country}|${f.region}`;
  values[LEVEL.ua] = f.ua;
  values[LEVEL.browser] = f.browser;
  values[LEVEL.family] =
    f.browserFamily === undefined && f.osFamily === undefined
      ? undefined
      : `${f.browserFamily}|${f.osFamily}`;
  values[LEVEL.os] = f.osFamily;
  values[LEVEL.device] = f.device;
  values[LEVEL.deviceId] = f.deviceId;
  return values;
}

function hashesOf(values: readonly (string | undefined)[]): number[] {
  return values.map((value, level) => (value === undefined ? 0 : hashValue(level, value)));
}

/** Numerical Recipes' erfcc polynomial in t, highest power first. */
const ERFC_COEFFICIENTS = [
  0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196,
  1.00002368, -1.26551223,
];

/**
 * log erfc(z), without underflow for large z (Numerical Recipes' erfcc, fractional error below 1.2e-7).
 */
export function logErfc(z: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(z));
  let poly = 0;
  for (const c of ERFC_COEFFICIENTS) {
    poly = poly * t + c;
  }
  const log = Math.log(t) - z * z + poly;
  return z >= 0 ? log : Math.log(2 - Math.exp(log));
}

/**
 * log density at `d` of a normal (0, `variance`) plus an exponential overhead of rate `rate`
 * (the exponentially modified Gaussian): a legitimate-like path with a relay's delay added.
 */
export function logRelayDensity(d: number, variance: number, rate: number): number {
  return (
    Math.log(rate / 2) +
    (rate / 2) * (rate * variance - 2 * d) +
    logErfc((rate * variance - d) / Math.sqrt(2 * variance))
  );
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

/** An hour difference on the circle of the day, in [-12, 12). */
function wrapHours(d: number): number {
  return ((((d + 12) % 24) + 24) % 24) - 12;
}

/** Weighted circular mean (hours) and variance (hours², around that mean) of an hour histogram. */
function circularStats(hours: ArrayLike<number>): { n: number; mean: number; variance: number } {
  let n = 0;
  let sin = 0;
  let cos = 0;
  for (let h = 0; h < 24; h += 1) {
    const w = hours[h] ?? 0;
    n += w;
    sin += w * Math.sin((h * Math.PI) / 12);
    cos += w * Math.cos((h * Math.PI) / 12);
  }
  if (n <= 0) {
    return { n: 0, mean: 0, variance: 0 };
  }
  const mean = ((Math.atan2(sin, cos) * 12) / Math.PI + 24) % 24;
  let variance = 0;
  for (let h = 0; h < 24; h += 1) {
    variance += (hours[h] ?? 0) * wrapHours(h - mean) ** 2;
  }
  return { n, mean, variance: variance / n };
}

/** The histogram's density at `hour`, each sign-in spread by a wrapped normal of `variance`. */
function ownHourDensity(hours: ArrayLike<number>, hour: number, n: number, variance: number): number {
  let sum = 0;
  for (let h = 0; h < 24; h += 1) {
    const w = hours[h] ?? 0;
    if (w > 0) {
      sum += w * wrappedNormal(wrapHours(hour - h), variance);
    }
  }
  return sum / n;
}

/**
 * Density of a normal with `variance` wrapped around the day, at `d` hours (−12 ≤ d < 12) from its
 * mean. Narrow: the three nearest windings (the next is 36 hours out, negligible below 16 h²). Broad:
 * its Fourier series, which tends to the uniform 1/24 as the variance grows (a person seen long ago
 * is predicted by no hour more than another).
 */
function wrappedNormal(d: number, variance: number): number {
  if (variance < 16) {
    let sum = 0;
    for (let k = -1; k <= 1; k += 1) {
      sum += Math.exp(-((d + 24 * k) ** 2) / (2 * variance));
    }
    return sum / Math.sqrt(2 * Math.PI * variance);
  }
  const step = (2 * Math.PI) / 24;
  let sum = 1;
  for (let m = 1; m <= 6; m += 1) {
    sum += 2 * Math.exp(-(m * m * variance * step * step) / 2) * Math.cos(m * step * d);
  }
  return sum / 24;
}

export function createRiskEngine(options: RiskEngineOptions = {}): RiskEngine {
  const maxProfiles = options.maxProfiles ?? 1_000_000;
  const halfLife = options.historyHalfLifeMs ?? 180 * 86_400_000;
  const maxSessions = options.maxSessions ?? 500_000;
  const profiles = new Map<string, Profile>();
  const sessions = new Map<string, SessionContext>();
  /** Known /24s (/48s) of legitimate sign-ins: a fixed-size table of hashes, a collision overwrites. */
  const knownPrefixes = new Int32Array(PREFIX_TABLE);
  /**
   * Everything `learn` teaches about everyone, as additive sums by key (global-tables.ts), so that
   * nodes sharing a store converge. Keys (`G` below): `c:` plain sums, `d30:`/`d14:` decayed.
   */
  const globals = new GlobalTables({
    maxKeys: options.maxGlobalKeys ?? 1_000_000,
    sink(key, total) {
      if (!key.startsWith(G.prefixSeen)) {
        return false;
      }
      const prefix = Number(key.slice(G.prefixSeen.length)) | 0;
      if (prefix !== 0 && total > 0) {
        knownPrefixes[(prefix >>> 0) % PREFIX_TABLE] = prefix;
      }
      return true;
    },
  });
  /** Set while re-applying a sign-in to a re-read history: the global part was learned already. */
  let profileOnly = false;
  function bump(key: string, amount = 1): void {
    if (!profileOnly) {
      globals.add(key, amount);
    }
  }
  function bumpDecayed(key: string, at: number, amount = 1): void {
    if (!profileOnly) {
      globals.addDecayed(key, amount, at);
    }
  }
  /**
   * Velocity: attempts and failures per address (hashed), ASN and account (hashed) over the last
   * hour, and per ASN over a day (infrastructure that fails a lot, even when it paused this hour);
   * failures per ASN over weeks (reputation) and the countries seen per ASN (network_spread): all as
   * decayed sums (`V` below) that nodes sharing a store add up.
   */
  const velocity = new GlobalTables({
    maxKeys: options.maxVelocityKeys ?? 2_400_000,
    shared: options.shareVelocity === true,
  });
  function countAttempt(family: string, id: string | undefined, at: number, failed: boolean): void {
    if (id === undefined) {
      return;
    }
    velocity.addDecayed(`${family}a:${id}`, 1, at);
    if (failed) {
      velocity.addDecayed(`${family}f:${id}`, 1, at);
    }
  }
  function attemptsOf(
    family: string,
    id: string | undefined,
    now: number,
  ): { failures: number; attempts: number } {
    return id === undefined
      ? { failures: 0, attempts: 0 }
      : {
          failures: velocity.decayed(`${family}f:${id}`, now),
          attempts: velocity.decayed(`${family}a:${id}`, now),
        };
  }
  const asnChurn = new Map<number, AsnChurn>();
  /** An ASN whose sign-ins (observed, any outcome, on any node sharing the store) came from three or more countries. */
  function spansCountries(asn: string | undefined): boolean {
    return asn !== undefined && velocity.familySize(`${V.asnCountry}:${asn}`) >= SPREAD_COUNTRIES;
  }

  function noteCountry(f: Features, at: number): void {
    if (f.asn !== undefined && f.country !== undefined) {
      const country = (hashValue(LEVEL.country, f.country) >>> 0).toString(16);
      velocity.addDecayed(`${V.asnCountry}:${f.asn}:${country}`, 1, at);
    }
  }

  /**
   * A network new to the person that exits in many countries (a VPN or hosting provider, learned
   * from the countries seen on it): log p(spanning | attacker) − log p(spanning | legitimate arrival).
   * Half the attacker models (VPN, hosting) use such networks; the legitimate share is learned.
   */
  function spreadFactor(f: Features): number {
    const allArrivals = globals.get(G.arrivals);
    if (!spansCountries(f.asn) || allArrivals < 100) {
      return 0;
    }
    return clamp(Math.log(0.5 / ((globals.get(G.spreadArrivals) + 1) / (allArrivals + 2))), 0, 4);
  }

  function prefixKnown(prefix: number): boolean {
    return prefix !== 0 && knownPrefixes[(prefix >>> 0) % PREFIX_TABLE] === prefix;
  }

  /**
   * A /24 new to the person: has anyone signed in legitimately from it? Log p(known or not | attacker)
   * − log p(known or not | a person on a /24 new to them), the latter learned. A colleague's office,
   * a carrier's CGNAT pool or a neighbour's ISP block is known; attacker infrastructure rarely is.
   */
  function prefixFactor(profile: Profile, ids: readonly number[]): number {
    const prefix = ids[LEVEL.prefix] ?? 0;
    const newPrefixSignIns = globals.get(G.newPrefix);
    if (prefix === 0 || newPrefixSignIns < 100 || findSlot(profile, LEVEL.prefix, prefix) >= 0) {
      return 0;
    }
    const pLegit = (globals.get(G.newPrefixKnown) + 1) / (newPrefixSignIns + 2);
    return prefixKnown(prefix)
      ? clamp(Math.log(ATTACKER_KNOWN_PREFIX / pLegit), -3, 3)
      : clamp(Math.log((1 - ATTACKER_KNOWN_PREFIX) / (1 - pLegit)), -3, 3);
  }

  function learnPrefix(profile: Profile, ids: readonly number[]): void {
    const prefix = ids[LEVEL.prefix] ?? 0;
    if (prefix === 0) {
      return;
    }
    if (profile.logins > 0 && findSlot(profile, LEVEL.prefix, prefix) < 0) {
      bump(G.newPrefix);
      if (prefixKnown(prefix)) {
        bump(G.newPrefixKnown);
      }
    }
    bump(`${G.prefixSeen}${prefix}`);
  }

  function browserKey(f: Features): number {
    return f.browserFamily === undefined || f.browserMajor === undefined
      ? 0
      : hashValue(LEVEL.browser, `${f.browserFamily}|${f.osFamily}|${f.device}`);
  }

  /**
   * An older major version than the newest the person has shown on the same browser (family, OS
   * family, device type): log p(older | attacker) − log p(older | this person), the person's own rate
   * (two devices of one kind, one not yet updated) shrunk towards everyone's. Never negative.
   */
  function versionFactor(profile: Profile, f: Features): number {
    const newest = newestVersion(profile, browserKey(f));
    if (newest < 0 || f.browserMajor === undefined || f.browserMajor >= newest) {
      return 0;
    }
    const global = (globals.get(G.olderVersions) + 1) / (globals.get(G.versionChecks) + 2);
    const own = (profile.olderVersions + SHRINK * global) / (profile.versionChecks + SHRINK);
    return clamp(Math.log(ATTACKER_OLDER_VERSION / own), 0, 4);
  }

  function learnVersion(profile: Profile, f: Features): void {
    const key = browserKey(f);
    if (key === 0 || f.browserMajor === undefined) {
      return;
    }
    const newest = newestVersion(profile, key);
    if (newest >= 0) {
      const older = f.browserMajor < newest ? 1 : 0;
      profile.versionChecks += 1;
      profile.olderVersions += older;
      bump(G.versionChecks);
      bump(G.olderVersions, older);
    }
    noteVersion(profile, key, f.browserMajor);
  }

  /** How common the UA string is among recent legitimate sign-ins (decayed: browsers update). */
  function uaPopularity(f: Features, ids: readonly number[]): number {
    const total = globals.decayed(G.uaTotal, f.epochMs);
    if (f.ua === undefined || total < 50) {
      return 0;
    }
    return Math.min(1, globals.decayed(`${G.ua}${ids[LEVEL.ua] ?? 0}`, f.epochMs) / total);
  }

  function noveltyRate(profile: Profile, level: number): number {
    const global = (globals.get(`${G.novel}${level}`) + 1) / (globals.get(`${G.trials}${level}`) + 2);
    return ((profile.novel[level] ?? 0) + SHRINK * global) / ((profile.trials[level] ?? 0) + SHRINK);
  }

  /**
   * The first level of `chain` found in the history (chain.length: none) and log p(person's next
   * sign-in matches there); `undefined` when the event carries none of the chain's values.
   */
  function chainMatch(profile: Profile, ids: readonly number[], chain: readonly number[]) {
    let logPerson = 0;
    let informative = false;
    // Back on a network the person has used: how often an address there is new is the network's
    // property (a carrier's CGNAT pool rotates, a home line keeps its address), learned from everyone.
    const asnId = ids[LEVEL.asn] ?? 0;
    const back =
      chain === NET_CHAIN && asnId !== 0 && findSlot(profile, LEVEL.asn, asnId) >= 0
        ? asnReturnOf(asnId)
        : undefined;
    for (let i = 0; i < chain.length; i += 1) {
      const level = chain[i] as number;
      const id = ids[level] ?? 0;
      if (id === 0) {
        continue;
      }
      informative = true;
      let rate = noveltyRate(profile, level);
      if (back !== undefined && level === LEVEL.ip) {
        rate = (back.newIp + ASN_SHRINK * rate) / (back.n + ASN_SHRINK);
      } else if (back !== undefined && level === LEVEL.prefix) {
        rate = (back.newPrefix + ASN_SHRINK * rate) / (back.newIp + ASN_SHRINK);
      }
      const slot = findSlot(profile, level, id);
      if (slot >= 0) {
        logPerson += Math.log((1 - rate) * Math.max(shareOf(profile, level, slot), 0.05));
        return { matched: i, logPerson };
      }
      logPerson += Math.log(rate);
    }
    return informative ? { matched: chain.length, logPerson } : undefined;
  }

  /**
   * log p(attacker) − log p(person) over the three hierarchies jointly, and each hierarchy's share of
   * it (for the explanation: its own log-ratio against the mixture's marginal).
   */
  function historyFactors(profile: Profile, ids: readonly number[], f: Features): RiskFactor[] {
    // An attacker picking a popular UA hits the person's exact string as often as it is common.
    const uaShare = uaPopularity(f, ids);
    const probability = (m: AttackerModel, key: 'net' | 'place' | 'client', index: number) =>
      key === 'client' && index === 0 && m.popularUa === true
        ? Math.max(m.client[0] ?? 0, uaShare)
        : (m[key][index] ?? 0);
    const network = chainMatch(profile, ids, NET_CHAIN);
    // A new country means a new region and city: place is scored only within a known country, on
    // both sides of the ratio, so a traveller is not counted twice.
    const place = network?.matched === NET_CHAIN.length ? undefined : chainMatch(profile, ids, PLACE_CHAIN);
    const chains = [
      { name: 'network', match: network, key: 'net' as const },
      { name: 'place', match: place, key: 'place' as const },
      { name: 'client', match: chainMatch(profile, ids, UA_CHAIN), key: 'client' as const },
    ];
    let attacker = 0;
    for (const model of ATTACKER_MODELS) {
      let p = model.weight;
      for (const chain of chains) {
        if (chain.match !== undefined) {
          p *= probability(model, chain.key, chain.match.matched);
        }
      }
      attacker += p;
    }
    const logAttacker = Math.log(Math.max(attacker, 1e-12));
    const factors: RiskFactor[] = [];
    let marginalSum = 0;
    for (const chain of chains) {
      if (chain.match === undefined) {
        continue;
      }
      const index = chain.match.matched;
      const marginal = ATTACKER_MODELS.reduce(
        (sum, m) => sum + m.weight * probability(m, chain.key, index),
        0,
      );
      const value = Math.log(Math.max(marginal, 1e-12)) - chain.match.logPerson;
      marginalSum += value;
      factors.push({ name: chain.name, value: HISTORY_WEIGHT * value });
    }
    const joint = logAttacker - chains.reduce((sum, c) => sum + (c.match?.logPerson ?? 0), 0);
    // The joint ratio is what counts; the difference to the sum of marginals is the correlation term.
    factors.push({ name: 'combination', value: HISTORY_WEIGHT * (joint - marginalSum) });
    return factors;
  }

  /** Mean log round-trip time of the person's recent sign-ins on `asn`, and how many there are. */
  function rttOnAsn(profile: Profile, asn: number): { mean: number; n: number } {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < Math.min(RTT_SAMPLES, profile.logins); i += 1) {
      const sample = profile.rtt[i] ?? 0;
      if (sample > 0 && profile.rttAsn[i] === asn && asn !== 0) {
        sum += Math.log(sample);
        n += 1;
      }
    }
    return { mean: n === 0 ? 0 : sum / n, n };
  }

  /**
   * Round-trip time. On a network the person has used: a log-likelihood ratio of the distance from
   * their own mean there, the person's side normal with the network's spread (learned from everyone
   * returning to it: a carrier's RTT varies more than a home line's), the attacker's side mostly that
   * jitter plus a relay's overhead, otherwise broad (`rttRatio`). On a new network: against everyone's
   * on it in that country, or, with too few of them, the distance from the nearest sample.
   */
  function rttFactor(profile: Profile, f: Features, ids: readonly number[]): number {
    const asn = ids[LEVEL.asn] ?? 0;
    if (f.rttMs === undefined || profile.logins === 0) {
      return 0;
    }
    const own = rttOnAsn(profile, asn);
    if (own.n > 0) {
      const back = asnReturnOf(asn);
      const within =
        ((back?.rttSq ?? 0) + RTT_PRIOR_N * RTT_PRIOR_SD ** 2) / ((back?.rttN ?? 0) + RTT_PRIOR_N);
      // The person's own mean from few samples is noisy: shrink it towards everyone's on this network
      // in this country, as far as people there differ from each other (their spread beyond one
      // person's jitter, learned), then predict with the jitter plus what is left unknown of the mean.
      const population = rttPopulationOf(networkPlace(ids), f.epochMs);
      if (population !== undefined && population.n >= RTT_POPULATION_MIN) {
        const spread = (population.m2 + RTT_PRIOR_N * RTT_PRIOR_SD ** 2) / (population.n - 1 + RTT_PRIOR_N);
        const between = Math.max(spread - within, RTT_BETWEEN_MIN_VARIANCE);
        const precision = own.n / within + 1 / between;
        const mean = ((own.n * own.mean) / within + population.mean / between) / precision;
        return clamp(rttRatio(Math.log(f.rttMs) - mean, within + 1 / precision), -1, 4);
      }
      return clamp(rttRatio(Math.log(f.rttMs) - own.mean, within * (1 + 1 / own.n)), -1, 4);
    }
    // New to the person: against everyone's RTT on this network in this country. A proxy or tunnel in
    // front of the attacker adds its hop; a legitimate newcomer sits where the network's people sit.
    const population = rttPopulationOf(networkPlace(ids), f.epochMs);
    if (population !== undefined && population.n >= RTT_POPULATION_MIN) {
      const variance = (population.m2 + RTT_PRIOR_N * RTT_PRIOR_SD ** 2) / (population.n - 1 + RTT_PRIOR_N);
      return clamp(rttRatio(Math.log(f.rttMs) - population.mean, variance), -1, 4);
    }
    let nearest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < Math.min(RTT_SAMPLES, profile.logins); i += 1) {
      const sample = profile.rtt[i] ?? 0;
      if (sample > 0) {
        nearest = Math.min(nearest, Math.abs(Math.log(f.rttMs / sample)));
      }
    }
    return Number.isFinite(nearest) ? clamp((nearest - 0.25) * 2, -0.5, 3) : 0;
  }

  /**
   * log p(d | attacker) − log p(d | person) for d, the distance of log RTT from the legitimate
   * mean. The person's side is normal with `variance`. The attacker's is mostly (RTT_RELAY_SHARE)
   * the same jitter plus a relay's overhead, which only ever adds (exponential in log RTT, mean
   * RTT_RELAY_MEAN: a residential proxy or tunnel in front of a home line), and otherwise broad
   * around the mean (RTT_ATTACKER_SD: an attacker whose path happens to be as short).
   */
  function rttRatio(d: number, variance: number): number {
    const relay = logRelayDensity(d, variance, 1 / RTT_RELAY_MEAN);
    const broad = -0.5 * Math.log(2 * Math.PI * RTT_ATTACKER_SD ** 2) - (d * d) / (2 * RTT_ATTACKER_SD ** 2);
    const attacker = Math.log(RTT_RELAY_SHARE * Math.exp(relay) + (1 - RTT_RELAY_SHARE) * Math.exp(broad));
    return attacker - (-0.5 * Math.log(2 * Math.PI * variance) - (d * d) / (2 * variance));
  }

  /** The person's home country: the heaviest country in their history (0 if none). */
  function homeCountry(profile: Profile): number {
    let best = -1;
    const base = LEVEL.country * SLOTS;
    for (let slot = base; slot < base + SLOTS; slot += 1) {
      if (
        (profile.ids[slot] ?? 0) !== 0 &&
        (best < 0 || (profile.weights[slot] ?? 0) > (profile.weights[best] ?? 0))
      ) {
        best = slot;
      }
    }
    return best < 0 ? 0 : (profile.ids[best] ?? 0);
  }

  /**
   * Hour of day (UTC): the attacker does not know the person's hours (uniform) against a predictive
   * of the person's next hour. People sign in around a usual hour of their own; that hour is
   * estimated from their sign-ins, shrunk towards their home country's hours as far as people there
   * differ from each other (learned: the country's spread beyond one person's), and the next hour is
   * predicted with one person's spread (learned from everyone returning) plus what is left unknown
   * of their usual hour, on the circle of the day. Without the country's hours, from the third
   * sign-in on.
   */
  function hourFactor(profile: Profile, hour: number): number {
    if (profile.logins < 1) {
      return 0;
    }
    const own = circularStats(profile.hours);
    const devN = globals.get(G.hourDevN);
    const within =
      (globals.get(G.hourDev) + HOUR_PRIOR_N_DEV * HOUR_WITHIN_PRIOR) / (devN + HOUR_PRIOR_N_DEV);
    const population = countryHoursOf(homeCountry(profile));
    const country = population === undefined ? undefined : circularStats(population);
    let mean = own.mean;
    let unknown = within / Math.max(own.n, 1e-9);
    if (country !== undefined && country.n >= 50) {
      const between = Math.max(country.variance - within, HOUR_BETWEEN_MIN);
      const precision = own.n / within + 1 / between;
      mean = country.mean + ((own.n / within) * wrapHours(own.mean - country.mean)) / precision;
      unknown = 1 / precision;
    } else if (profile.logins < 3) {
      // Without the country's hours (no geo, or too few seen), one or two sign-ins say too little.
      return 0;
    }
    // A person with two usual hours (mornings and evenings) has a mean between them: their own
    // histogram, smoothed by one person's spread, keeps a share of the prediction.
    const histogram = own.n > 0 ? ownHourDensity(profile.hours, hour, own.n, within) : 1 / 24;
    const density =
      (1 - HOUR_HISTOGRAM_SHARE) * wrappedNormal(wrapHours(hour - mean), within + unknown) +
      HOUR_HISTOGRAM_SHARE * histogram;
    return clamp(Math.log(1 / 24 / density), -1.5, 4);
  }

  /** Before the sign-in joins the history: how far its hour is from the person's own mean so far. */
  function learnHourDeviation(profile: Profile, hour: number): void {
    const own = circularStats(profile.hours);
    if (own.n < 1) {
      return;
    }
    // The deviation from a mean of n hours has the person's variance times (1 + 1/n).
    bump(G.hourDev, wrapHours(hour - own.mean) ** 2 / (1 + 1 / own.n));
    bump(G.hourDevN);
  }

  function velocityFactor(f: Features, now: number): number {
    const ip = attemptsOf(V.ip, velocityIp(f), now);
    const asn = attemptsOf(V.asn, f.asn, now);
    const account = attemptsOf(V.account, velocityAccount(f), now);
    const ipShare = (ip.failures + 0.5) / (ip.attempts + 3);
    const asnShare = (asn.failures + 0.5) / (asn.attempts + 10);
    const asnDay = attemptsOf(V.asnDay, f.asn, now);
    const asnDayShare = (asnDay.failures + 0.5) / (asnDay.attempts + 20);
    return (
      0.8 * Math.log1p(Math.max(0, asnDay.failures - 5)) * asnDayShare +
      1.2 * Math.log1p(Math.max(0, ip.failures - 1)) * ipShare +
      0.6 * Math.log1p(Math.max(0, asn.failures - 3)) * asnShare +
      0.5 * Math.log1p(Math.max(0, account.failures - 2))
    );
  }

  /**
   * Accounts with a history that arrived on an address or ASN as strangers to its network (`s`)
   * against sign-ins there by people who had used it (`r`), counted at `observe` over 30-day
   * half-lives: weight · ln(1 + max(0, s − 1)) · (s + ½) / (s + r + prior), at most 3.
   */
  function strangerEvidence(family: string, id: string, now: number, weight: number, prior: number): number {
    const strangers = velocity.decayed(`${family}s:${id}`, now);
    const regulars = velocity.decayed(`${family}r:${id}`, now);
    return Math.min(
      3,
      (weight * Math.log1p(Math.max(0, strangers - 1)) * (strangers + 0.5)) / (strangers + regulars + prior),
    );
  }

  /**
   * An address on which many accounts arrived as strangers (its ASN new to each of them) and few
   * that know its network: attacker infrastructure reused across victims. A carrier's CGNAT
   * address, an office or a VPN exit also brings strangers, but mostly people who have used that
   * network before; a home address brings one stranger at most (its owner's first sign-in there).
   * A person's very first sign-in is no one's stranger; the current attempt is not in its own count.
   */
  function strangersFactor(f: Features, now: number): number {
    const ip = velocityIp(f);
    return ip === undefined ? 0 : strangerEvidence(V.ipAccounts, ip, now, 2, 3);
  }

  /**
   * For an ASN new to the person: a network on which accounts with a history keep arriving as
   * strangers and few come back (attack infrastructure, a VPN exit attackers use), against one whose
   * arrivals return (a consumer ISP, a carrier, an office, a VPN its own users keep using): the
   * counts of {@link strangersFactor} per ASN. `reputation` counts the people arriving as evidence
   * for the network; this counts arrivals without returns against it.
   */
  function arrivalsFactor(f: Features, now: number): number {
    return f.asn === undefined ? 0 : strangerEvidence(V.asnAccounts, f.asn, now, 1, 10);
  }

  /**
   * The ASN as evidence, for a person new to it: log p(ASN | attacker) − log p(ASN | a legitimate
   * person's new network). The legitimate side counts people arriving on the ASN (a consumer ISP
   * gains many); the attacker side is half uniform over the ASNs seen and half the ASN's share of
   * failed sign-ins (attack infrastructure fails across many accounts). Learned, no lists; bounded.
   */
  function reputationFactor(f: Features, now: number): number {
    if (f.asn === undefined || globals.get(G.legit) < 100) {
      return 0;
    }
    const legit = globals.decayed(`${G.asnLegit}:${f.asn}`, now);
    const asns = Math.max(1, globals.familySize(G.asnLegit), velocity.familySize(`${V.asnDay}a`));
    const pLegit = (legit + 0.1) / (Math.max(1, globals.decayed(G.legitDecayed, now)) + 0.1 * asns);
    const failures = velocity.decayed(`${V.asnFailures}:${f.asn}`, now);
    const failTotal = velocity.decayed(V.failures, now);
    const pAttack = 0.5 / asns + 0.5 * (failures / (failTotal + 1));
    return clamp(Math.log(pAttack / pLegit), -2, 5);
  }

  /**
   * For token uses: an ASN from which (almost) no legitimate person signs in, log of p(ASN | attacker)
   * taken as uniform over the ASNs seen against p(ASN | legitimate sign-in); bounded both ways.
   */
  function tokenReputation(f: Features, now: number): number {
    if (f.asn === undefined || globals.get(G.signIns) < 100) {
      return 0;
    }
    const legit = globals.decayed(`${G.asnSignIns}:${f.asn}`, now);
    const total = Math.max(1, globals.decayed(G.signInsDecayed, now));
    return clamp(Math.log(total / (Math.max(1, globals.familySize(G.asnSignIns)) * (legit + 0.5))), -2, 4);
  }

  function clientSanityFactor(f: Features): number {
    let value = 0;
    if (f.ua === undefined) {
      value += 0.7;
    } else if (f.ua.length < 12 || f.ua.length >= 400) {
      value += 1;
    }
    if (f.browserFamily === 'bot' || f.device === 'bot') {
      value += 2;
    }
    return value;
  }

  function assessLogin(f: Features, ids: readonly number[]): RiskFactor[] {
    const profile = profiles.get(f.user);
    const factors: RiskFactor[] = [
      { name: 'velocity', value: velocityFactor(f, f.epochMs) },
      { name: 'client_sanity', value: clientSanityFactor(f) },
    ];
    if (profile === undefined || findSlot(profile, LEVEL.ip, ids[LEVEL.ip] ?? 0) < 0) {
      factors.push({ name: 'strangers', value: strangersFactor(f, f.epochMs) });
    }
    if (profile === undefined || profile.logins === 0) {
      factors.push({ name: 'reputation', value: reputationFactor(f, f.epochMs) });
      return factors;
    }
    factors.push(
      ...historyFactors(profile, ids, f),
      { name: 'rtt', value: rttFactor(profile, f, ids) },
      { name: 'hour', value: hourFactor(profile, f.hour) },
      { name: 'client_version', value: versionFactor(profile, f) },
      { name: 'prefix_known', value: prefixFactor(profile, ids) },
    );
    if (findSlot(profile, LEVEL.asn, ids[LEVEL.asn] ?? 0) < 0) {
      factors.push(
        { name: 'reputation', value: reputationFactor(f, f.epochMs) },
        { name: 'network_spread', value: spreadFactor(f) },
        { name: 'arrivals', value: arrivalsFactor(f, f.epochMs) },
      );
    }
    const country = ids[LEVEL.country] ?? 0;
    const placed =
      f.latitude !== undefined &&
      f.longitude !== undefined &&
      !Number.isNaN(profile.lastLatitude) &&
      !Number.isNaN(profile.lastLongitude);
    if (placed) {
      // Both sign-ins have coordinates: distance over time decides, not the country border.
      const value = impossibleTravel(
        { latitude: profile.lastLatitude, longitude: profile.lastLongitude },
        { latitude: f.latitude, longitude: f.longitude },
        f.epochMs - profile.lastMs,
      );
      if (value > 0) {
        factors.push({ name: 'impossible_travel', value });
      }
    } else if (country !== 0 && profile.lastCountry !== 0 && country !== profile.lastCountry) {
      const hours = (f.epochMs - profile.lastMs) / 3_600_000;
      if (hours >= 0 && hours < 2) {
        factors.push({ name: 'travel', value: 2 });
      }
    }
    const device = ids[LEVEL.deviceId] ?? 0;
    if (device !== 0) {
      factors.push({ name: 'device', value: findSlot(profile, LEVEL.deviceId, device) >= 0 ? -3 : 0.5 });
    }
    return factors;
  }

  function assessToken(f: Features, ids: readonly number[]): RiskFactor[] {
    const session = f.session === undefined ? undefined : sessions.get(f.session);
    if (session === undefined || session.user !== f.user) {
      return [{ name: 'session_unknown', value: 4 }];
    }
    const factors: RiskFactor[] = [];
    const ua = ids[LEVEL.ua] ?? 0;
    factors.push({ name: 'session_ua', value: ua !== 0 && session.ua !== 0 && ua !== session.ua ? 6 : 0 });
    const ip = ids[LEVEL.ip] ?? 0;
    const asn = ids[LEVEL.asn] ?? 0;
    let network = 0;
    if (ip !== session.ip) {
      if (asn === session.asn && asn !== 0) {
        // How often this ASN hands a session a new address (a mobile carrier's CGNAT: often; a home
        // line: almost never), learned from every session's token uses.
        const churn = asnChurn.get(asn) ?? { same: 0, changed: 0 };
        const pChange = (churn.changed + 0.2) / (churn.same + churn.changed + 1);
        const samePrefix = (ids[LEVEL.prefix] ?? 0) === session.prefix && session.prefix !== 0;
        network = clamp(-Math.log(pChange), 0.2, 5) * (samePrefix ? 0.5 : 1);
      } else {
        const profile = profiles.get(f.user);
        const known = profile !== undefined && findSlot(profile, LEVEL.asn, asn) >= 0;
        // A well-used ISP does not make a move less suspicious; an ASN nobody signs in from does add.
        network = known ? 2.5 : 5 + Math.max(0, tokenReputation(f, f.epochMs));
        if ((ids[LEVEL.country] ?? 0) !== session.country) {
          // Another country within one session: impossible travel unless a VPN was switched on.
          network += 3;
        }
      }
    }
    factors.push({ name: 'session_network', value: network });
    if (asn !== 0 && asn !== session.lastAsn && session.moves > 0) {
      // Back and forth between networks: two holders of one session.
      factors.push({ name: 'session_concurrent', value: 2.5 });
    }
    if (f.rttMs !== undefined && session.rttMs !== undefined && ip !== session.ip) {
      factors.push({
        name: 'session_rtt',
        value: clamp((Math.abs(Math.log(f.rttMs / session.rttMs)) - 0.3) * 2, 0, 2),
      });
    }
    return factors;
  }

  function observeToken(f: Features): void {
    const session = f.session === undefined ? undefined : sessions.get(f.session);
    if (session === undefined || session.user !== f.user) {
      return;
    }
    const ids = hashesOf(valuesOf(f));
    const asn = ids[LEVEL.asn] ?? 0;
    if (asn !== 0 && asn === session.asn) {
      const churn = asnChurn.get(asn) ?? { same: 0, changed: 0 };
      if ((ids[LEVEL.ip] ?? 0) === session.ip) {
        churn.same += 1;
      } else {
        churn.changed += 1;
      }
      asnChurn.delete(asn);
      asnChurn.set(asn, churn);
      if (asnChurn.size > 200_000) {
        const oldest = asnChurn.keys().next();
        if (oldest.done !== true) {
          asnChurn.delete(oldest.value);
        }
      }
    }
    if (asn !== 0 && asn !== session.lastAsn) {
      session.moves += 1;
      session.lastAsn = asn;
    }
  }

  function rememberSession(f: Features, ids: readonly number[]): void {
    if (f.session === undefined) {
      return;
    }
    sessions.set(f.session, {
      user: f.user,
      ip: ids[LEVEL.ip] ?? 0,
      prefix: ids[LEVEL.prefix] ?? 0,
      asn: ids[LEVEL.asn] ?? 0,
      country: ids[LEVEL.country] ?? 0,
      ua: ids[LEVEL.ua] ?? 0,
      rttMs: f.rttMs,
      lastAsn: ids[LEVEL.asn] ?? 0,
      moves: 0,
    });
    if (sessions.size > maxSessions) {
      const oldest = sessions.keys().next();
      if (oldest.done !== true) {
        sessions.delete(oldest.value);
      }
    }
  }

  /** The key of a network in one country (a VPN exits in many, each with its own RTT), or 0. */
  function networkPlace(ids: readonly number[]): number {
    const asn = ids[LEVEL.asn] ?? 0;
    return asn === 0 ? 0 : (Math.imul(asn, 0x01000193) ^ (ids[LEVEL.country] ?? 0)) | 0 || 1;
  }

  function learnRttPopulation(ids: readonly number[], f: Features): void {
    const key = networkPlace(ids);
    if (key === 0 || f.rttMs === undefined) {
      return;
    }
    const x = Math.log(f.rttMs);
    bumpDecayed(`${G.rtt}:${key}:n`, f.epochMs);
    bumpDecayed(`${G.rtt}:${key}:s`, f.epochMs, x);
    bumpDecayed(`${G.rtt}:${key}:q`, f.epochMs, x * x);
  }

  /** Everyone's log RTTs on one network in one country, weighed by recency (180-day half-life). */
  function rttPopulationOf(key: number, now: number): RttPopulation | undefined {
    const n = globals.decayed(`${G.rtt}:${key}:n`, now);
    if (n <= 0) {
      return undefined;
    }
    const mean = globals.decayed(`${G.rtt}:${key}:s`, now) / n;
    const m2 = Math.max(0, globals.decayed(`${G.rtt}:${key}:q`, now) - n * mean * mean);
    return { n, mean, m2 };
  }

  /** Per ASN, people's sign-ins back on an ASN they had used (global tables), or undefined. */
  function asnReturnOf(asn: number): AsnReturn | undefined {
    const n = globals.get(`${G.asnReturn}:${asn}:n`);
    return n === 0
      ? undefined
      : {
          n,
          newIp: globals.get(`${G.asnReturn}:${asn}:ip`),
          newPrefix: globals.get(`${G.asnReturn}:${asn}:prefix`),
          rttSq: globals.get(`${G.asnReturn}:${asn}:rttSq`),
          rttN: globals.get(`${G.asnReturn}:${asn}:rttN`),
        };
  }

  /** Legitimate sign-ins per hour of day (UTC) in a country, or undefined when none. */
  function countryHoursOf(country: number): Float64Array | undefined {
    if (country === 0) {
      return undefined;
    }
    const hours = new Float64Array(24);
    let any = false;
    for (let h = 0; h < 24; h += 1) {
      hours[h] = globals.get(`${G.hour}:${country}:${h}`);
      any ||= hours[h] !== 0;
    }
    return any ? hours : undefined;
  }

  /** Before the sign-in joins the history: was the person back on a known ASN, from a new address? */
  function learnAsnReturn(profile: Profile, ids: readonly number[], f: Features): void {
    const asn = ids[LEVEL.asn] ?? 0;
    const ip = ids[LEVEL.ip] ?? 0;
    if (asn === 0 || ip === 0 || findSlot(profile, LEVEL.asn, asn) < 0) {
      return;
    }
    bump(`${G.asnReturn}:${asn}:n`);
    const own = rttOnAsn(profile, asn);
    if (own.n > 0 && f.rttMs !== undefined) {
      // The deviation from a mean of n samples has (1 + 1/n) times the spread of one sample.
      bump(`${G.asnReturn}:${asn}:rttSq`, (Math.log(f.rttMs) - own.mean) ** 2 / (1 + 1 / own.n));
      bump(`${G.asnReturn}:${asn}:rttN`);
    }
    if (findSlot(profile, LEVEL.ip, ip) < 0) {
      bump(`${G.asnReturn}:${asn}:ip`);
      if (findSlot(profile, LEVEL.prefix, ids[LEVEL.prefix] ?? 0) < 0) {
        bump(`${G.asnReturn}:${asn}:prefix`);
      }
    }
  }

  function learnProfile(f: Features, ids: readonly number[]): void {
    let profile = profiles.get(f.user);
    if (profile === undefined) {
      profile = createProfile();
    } else {
      profiles.delete(f.user);
    }
    profiles.set(f.user, profile);
    if (profiles.size > maxProfiles) {
      const oldest = profiles.keys().next();
      if (oldest.done !== true) {
        profiles.delete(oldest.value);
      }
    }
    decayProfile(profile, decay(f.epochMs - profile.lastMs, halfLife));
    learnAsnReturn(profile, ids, f);
    learnVersion(profile, f);
    learnPrefix(profile, ids);
    if (profile.logins > 0) {
      for (const chain of [NET_CHAIN, PLACE_CHAIN, UA_CHAIN, [LEVEL.deviceId]]) {
        let finerNovel = true;
        for (const level of chain) {
          const id = ids[level] ?? 0;
          if (id === 0 || !finerNovel) {
            break;
          }
          const novel = findSlot(profile, level, id) < 0;
          profile.trials[level] = (profile.trials[level] ?? 0) + 1;
          bump(`${G.trials}${level}`);
          if (novel) {
            profile.novel[level] = (profile.novel[level] ?? 0) + 1;
            bump(`${G.novel}${level}`);
          }
          finerNovel = novel;
        }
      }
    }
    for (let level = 0; level < LEVELS; level += 1) {
      const id = ids[level] ?? 0;
      if (id !== 0) {
        addValue(profile, level, id);
      }
    }
    if (f.rttMs !== undefined) {
      const slot = profile.logins % RTT_SAMPLES;
      profile.rtt[slot] = f.rttMs;
      profile.rttAsn[slot] = ids[LEVEL.asn] ?? 0;
    }
    learnHourDeviation(profile, f.hour);
    profile.hours[f.hour] = (profile.hours[f.hour] ?? 0) + 1;
    profile.logins += 1;
    profile.lastMs = Math.max(profile.lastMs, f.epochMs);
    profile.lastCountry = ids[LEVEL.country] ?? 0;
    profile.lastLatitude = f.latitude === undefined ? Number.NaN : coarse(f.latitude);
    profile.lastLongitude = f.longitude === undefined ? Number.NaN : coarse(f.longitude);
  }

  function learnSignIn(f: Features): void {
    const ids = hashesOf(valuesOf(f));
    const before = profiles.get(f.user);
    // Reputation counts people arriving on an ASN, not sign-ins: one heavy user is not a population.
    const arriving = before === undefined || findSlot(before, LEVEL.asn, ids[LEVEL.asn] ?? 0) < 0;
    learnProfile(f, ids);
    learnRttPopulation(ids, f);
    // A harness (or a caller) that never calls observe still gets session contexts.
    if (f.session !== undefined && !sessions.has(f.session)) {
      rememberSession(f, ids);
    }
    const country = ids[LEVEL.country] ?? 0;
    if (country !== 0) {
      bump(`${G.hour}:${country}:${f.hour}`);
    }
    if (arriving && f.asn !== undefined) {
      bump(G.arrivals);
      if (spansCountries(f.asn)) {
        bump(G.spreadArrivals);
      }
    }
    if (f.asn !== undefined) {
      bumpDecayed(`${G.asnSignIns}:${f.asn}`, f.epochMs);
    }
    bump(G.signIns);
    bumpDecayed(G.signInsDecayed, f.epochMs);
    if (arriving) {
      if (f.asn !== undefined) {
        bumpDecayed(`${G.asnLegit}:${f.asn}`, f.epochMs);
      }
      bump(G.legit);
      bumpDecayed(G.legitDecayed, f.epochMs);
    }
    if (f.ua !== undefined) {
      bumpDecayed(`${G.ua}${ids[LEVEL.ua] ?? 0}`, f.epochMs);
      bumpDecayed(G.uaTotal, f.epochMs);
    }
  }

  return {
    assess(event) {
      const f = extractFeatures(event);
      const ids = hashesOf(valuesOf(f));
      const factors = isTokenEvent(event) ? assessToken(f, ids) : assessLogin(f, ids);
      const score = factors.reduce((sum, factor) => sum + factor.value, 0);
      return {
        score: Number.isFinite(score) ? score : 0,
        factors: factors.filter((factor) => factor.value !== 0).sort((a, b) => b.value - a.value),
      };
    },
    learn(event, learnOptions) {
      if (isTokenEvent(event)) {
        return;
      }
      const f = extractFeatures(event);
      if (f.user === '') {
        return;
      }
      profileOnly = learnOptions?.profileOnly === true;
      try {
        learnSignIn(f);
      } finally {
        profileOnly = false;
      }
    },
    observe(event) {
      const f = extractFeatures(event);
      if (isTokenEvent(event)) {
        observeToken(f);
        return;
      }
      const failed = !readBoolean(event['Login Successful']);
      countAttempt(V.ip, velocityIp(f), f.epochMs, failed);
      countAttempt(V.asn, f.asn, f.epochMs, failed);
      countAttempt(V.asnDay, f.asn, f.epochMs, failed);
      noteCountry(f, f.epochMs);
      if (failed && f.asn !== undefined) {
        velocity.addDecayed(`${V.asnFailures}:${f.asn}`, 1, f.epochMs);
        velocity.addDecayed(V.failures, 1, f.epochMs);
      }
      countAttempt(V.account, velocityAccount(f), f.epochMs, failed);
      const ids = hashesOf(valuesOf(f));
      const profile = profiles.get(f.user);
      if (profile !== undefined && profile.logins > 0) {
        // For `strangers` and `arrivals`: did this account know the network?
        const kind = findSlot(profile, LEVEL.asn, ids[LEVEL.asn] ?? 0) >= 0 ? 'r' : 's';
        const ip = velocityIp(f);
        if (ip !== undefined) {
          velocity.addDecayed(`${V.ipAccounts}${kind}:${ip}`, 1, f.epochMs);
        }
        if (f.asn !== undefined) {
          velocity.addDecayed(`${V.asnAccounts}${kind}:${f.asn}`, 1, f.epochMs);
        }
      }
      if (!failed && f.session !== undefined) {
        rememberSession(f, ids);
      }
    },
    exportProfile(user) {
      return profiles.get(user);
    },
    forget(user) {
      return profiles.delete(user);
    },
    importProfile(user, profile) {
      profiles.delete(user);
      profiles.set(user, profile);
      if (profiles.size > maxProfiles) {
        const oldest = profiles.keys().next();
        if (oldest.done !== true) {
          profiles.delete(oldest.value);
        }
      }
    },
    takeGlobalDelta() {
      return { ...globals.take(), ...velocity.take() };
    },
    restoreGlobalDelta(delta) {
      const [counts, rest] = splitVelocity(delta);
      velocity.restore(counts);
      globals.restore(rest);
    },
    applyGlobal(sums) {
      const [counts, rest] = splitVelocity(sums);
      velocity.apply(counts);
      globals.apply(rest);
    },
    get size() {
      return { profiles: profiles.size, sessions: sessions.size };
    },
  };
}
