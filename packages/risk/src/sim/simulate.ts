/**
 * The seeded event stream: legitimate people signing in and using their tokens, and the attacker
 * models of docs/risk.md, in the RBA dataset's schema. Labels ride along in `truth`, apart from the event,
 * so a scorer can only see them through `observe`'s `Login Successful`.
 */
import type { RiskEvent } from '../event.js';
import { Random } from './random.js';
import {
  addressIn,
  BROWSERS,
  type BrowserKind,
  type Country,
  createWorld,
  DAY_MS,
  type Network,
  type Place,
  randomPlace,
  roundTrip,
  type UserAgent,
  userAgentOf,
  type World,
} from './world.js';

export type Churn = 'low' | 'medium' | 'high';

export interface SimulationOptions {
  readonly seed: number;
  readonly users: number;
  readonly days: number;
  readonly churn: Churn;
  /** Attack sign-ins per attacker model (stuffing: accounts per campaign × 5 campaigns). */
  readonly attacksPerModel: number;
  /** Replayed sessions per replay model; each replay makes 20 requests. */
  readonly replaysPerModel: number;
}

export const ATTACKERS = ['naive', 'vpn', 'targeted', 'stuffing', 'adaptive'] as const;
export type LoginAttacker = (typeof ATTACKERS)[number];
export const REPLAYS = ['replay_other_network', 'replay_same_city_copied_ua', 'replay_victim_nat'] as const;
export type Replay = (typeof REPLAYS)[number];
/** Shares of legitimate token uses that may be stepped up or refused (two operating points). */
export const TOKEN_BUDGETS = [0.001, 0.01] as const;

export interface Truth {
  readonly kind: 'legit' | LoginAttacker | Replay;
  /** The person signing in, or the victim. */
  readonly user: string;
  /** For a replay: which of its 20 requests (0-based) this is, and which replay it belongs to. */
  readonly request?: number;
  readonly replay?: number;
  /** Adaptive attacks: the alternatives the attacker could have used (the scorer picks the lowest). */
  readonly candidates?: readonly RiskEvent[];
  /**
   * Sign-in attacks: how far the victim's home country is from the server (0 near, 1 middle,
   * 2 far: the round-trip time every line there carries on top of its network's, world.ts).
   */
  readonly distance?: number;
}

export interface LabelledEvent {
  readonly event: RiskEvent;
  readonly truth: Truth;
}

const CHURN = {
  low: { homeIpChange: 0.03, newDevice: 0.01, travel: 0.01, vpnUsers: 0.04 },
  medium: { homeIpChange: 0.12, newDevice: 0.04, travel: 0.03, vpnUsers: 0.08 },
  high: { homeIpChange: 0.3, newDevice: 0.1, travel: 0.08, vpnUsers: 0.15 },
} as const;

interface Device {
  kind: BrowserKind;
  lag: number;
}

interface Person {
  readonly id: string;
  readonly home: Place;
  readonly isp: Network;
  homePrefix: number;
  homeHost: number;
  readonly carrier: Network | undefined;
  readonly office: { network: Network; prefix: number; host: number } | undefined;
  readonly campus: { network: Network; prefix: number; host: number } | undefined;
  readonly vpn: Network | undefined;
  readonly peakHour: number;
  readonly devices: Device[];
}

interface Context {
  readonly network: Network;
  readonly ip: string;
  readonly place: Place;
  readonly device: Device;
  readonly distance: number;
}

function popularKind(rng: Random): BrowserKind {
  return rng.weighted(
    BROWSERS,
    BROWSERS.map((b) => b.weight),
  );
}

function eventOf(
  user: string,
  ctx: { network: Network; ip: string; place: Place; ua: UserAgent; rtt: number },
  at: number,
  type: 'login' | 'token',
  session: string,
  success: boolean,
): RiskEvent {
  return {
    'IP Address': ctx.ip,
    Country: ctx.place.country.code,
    Region: ctx.place.region,
    City: ctx.place.city,
    ASN: ctx.network.asn,
    'User Agent String': ctx.ua.ua,
    'Browser Name and Version': ctx.ua.browser,
    'OS Name and Version': ctx.ua.os,
    'Device Type': ctx.ua.device,
    'Round-Trip Time [ms]': ctx.rtt,
    'Login Timestamp': new Date(at).toISOString().replace('T', ' ').slice(0, 23),
    'User ID': user,
    'Login Successful': success,
    'Event Type': type,
    'Epoch ms': at,
    'Session ID': session,
  };
}

/** Shared NATs: a few offices and campuses per city, used by many people. */
function sharedNat(
  world: World,
  rng: Random,
  pool: Map<string, { network: Network; prefix: number; host: number }[]>,
  kind: 'office' | 'campus',
  country: string,
  size: number,
) {
  const key = `${kind}:${country}`;
  let list = pool.get(key);
  if (list === undefined) {
    list = [];
    pool.set(key, list);
  }
  if (list.length < size || rng.chance(0.05)) {
    const network =
      kind === 'campus' && list.length > 0
        ? (list[0] as { network: Network }).network
        : world.newNetwork(kind, country);
    list.push({ network, prefix: rng.int(256), host: rng.int(254) });
  }
  return rng.pick(list);
}

function createPerson(
  world: World,
  rng: Random,
  index: number,
  churn: Churn,
  nats: Map<string, { network: Network; prefix: number; host: number }[]>,
): Person {
  const country = rng.weighted(
    world.countries,
    world.countries.map((c) => c.weight),
  );
  const devices: Device[] = [{ kind: popularKind(rng), lag: rng.int(3) }];
  if (rng.chance(0.6)) {
    devices.push({ kind: popularKind(rng), lag: rng.int(3) });
  }
  return {
    id: `u${index}`,
    home: randomPlace(rng, country),
    isp: rng.pick(country.residential),
    homePrefix: rng.int(256),
    homeHost: rng.int(254),
    carrier: rng.chance(0.7) ? rng.pick(country.mobile) : undefined,
    office: rng.chance(0.3) ? sharedNat(world, rng, nats, 'office', country.code, 40) : undefined,
    campus: rng.chance(0.1) ? sharedNat(world, rng, nats, 'campus', country.code, 3) : undefined,
    vpn: rng.chance(CHURN[churn].vpnUsers) ? rng.pick(world.vpn) : undefined,
    peakHour: Math.round(rng.normal() * 4 + 15),
    devices,
  };
}

function chooseContext(world: World, rng: Random, person: Person, churn: Churn): Context {
  const c = CHURN[churn];
  const mobileDevice = person.devices.find((d) => d.kind.device === 'mobile');
  const desktop = person.devices.find((d) => d.kind.device !== 'mobile') ?? (person.devices[0] as Device);
  if (rng.chance(c.newDevice)) {
    const replaced = rng.int(person.devices.length);
    person.devices[replaced] = {
      kind: rng.chance(0.6) ? (person.devices[replaced] as Device).kind : popularKind(rng),
      lag: 0,
    };
  }
  if (rng.chance(c.homeIpChange)) {
    person.homeHost = rng.int(254);
    if (rng.chance(0.5)) {
      person.homePrefix = rng.int(256);
    }
  }
  const roll = rng.next();
  const country = person.home.country;
  if (roll < c.travel) {
    const abroad = rng.pick(world.countries);
    const network = rng.chance(0.5) ? rng.pick(abroad.residential) : rng.pick(abroad.mobile);
    return {
      network,
      ip: addressIn(network, rng.int(256), rng.int(254)),
      place: randomPlace(rng, abroad),
      device: mobileDevice ?? desktop,
      distance: abroad.distance,
    };
  }
  if (person.vpn !== undefined && roll < c.travel + 0.3) {
    return {
      network: person.vpn,
      ip: addressIn(person.vpn, world.countries.indexOf(country) * 8 + rng.int(4), rng.int(254)),
      place: { country, region: country.regions[0] as string, city: `${country.regions[0]}-C1` },
      device: desktop,
      distance: country.distance,
    };
  }
  if (person.carrier !== undefined && mobileDevice !== undefined && roll < 0.45) {
    return {
      network: person.carrier,
      ip: addressIn(person.carrier, rng.int(16), rng.int(254)),
      place: { country, region: person.home.region, city: `${person.home.region}-C1` },
      device: mobileDevice,
      distance: country.distance,
    };
  }
  const nat = person.office ?? person.campus;
  if (nat !== undefined && roll < 0.7) {
    return {
      network: nat.network,
      ip: addressIn(nat.network, nat.prefix, nat.host),
      place: person.home,
      device: desktop,
      distance: country.distance,
    };
  }
  return {
    network: person.isp,
    ip: addressIn(person.isp, person.homePrefix, person.homeHost),
    place: person.home,
    device: rng.chance(0.75) ? desktop : (mobileDevice ?? desktop),
    distance: country.distance,
  };
}

/** Sign-in times: spread over the period, at hours near the person's usual hour (local time). */
function loginTime(rng: Random, person: Person, days: number): number {
  const day = rng.int(days);
  const localHour = (person.peakHour + Math.round(rng.normal() * 3) + 48) % 24;
  const utcHour = (localHour - person.home.country.tz + 48) % 24;
  return day * DAY_MS + utcHour * 3_600_000 + rng.int(3_600_000);
}

/** Heavy-tailed sign-in counts: log-normal with median 2 (Wiefling et al.: most users sign in rarely). */
function loginCount(rng: Random): number {
  return Math.min(300, Math.max(1, Math.round(rng.logNormal(2, 1.25))));
}

export function simulate(options: SimulationOptions): LabelledEvent[] {
  const rng = new Random(options.seed);
  const world = createWorld();
  const nats = new Map<string, { network: Network; prefix: number; host: number }[]>();
  const people = Array.from({ length: options.users }, (_, i) =>
    createPerson(world, rng, i, options.churn, nats),
  );
  const out: LabelledEvent[] = [];
  const sessions: {
    person: Person;
    at: number;
    ip: string;
    network: Network;
    place: Place;
    ua: UserAgent;
    rtt: number;
    id: string;
  }[] = [];
  let sessionCounter = 0;

  for (const person of people) {
    const times = Array.from({ length: loginCount(rng) }, () => loginTime(rng, person, options.days)).sort(
      (a, b) => a - b,
    );
    for (const at of times) {
      const ctx = chooseContext(world, rng, person, options.churn);
      const ua = userAgentOf(ctx.device.kind, Math.floor(at / DAY_MS), ctx.device.lag);
      const rtt = roundTrip(rng, ctx.network.kind, ctx.distance);
      const id = `s${options.seed}-${sessionCounter++}`;
      const base = { network: ctx.network, ip: ctx.ip, place: ctx.place, ua, rtt };
      if (rng.chance(0.05)) {
        out.push({
          event: eventOf(person.id, base, at - 20_000, 'login', '', false),
          truth: { kind: 'legit', user: person.id },
        });
      }
      out.push({
        event: eventOf(person.id, base, at, 'login', id, true),
        truth: { kind: 'legit', user: person.id },
      });
      sessions.push({ person, at, id, ...base });
      // Token uses of this session: mostly from the same address; a phone's carrier hands out new
      // addresses, and a phone may switch to the home Wi-Fi.
      let t = at;
      let ip = ctx.ip;
      let network = ctx.network;
      for (let n = rng.geometric(4); n > 0; n -= 1) {
        t += rng.int(20 * 60_000) + 1000;
        if (network.kind === 'mobile' && rng.chance(0.25)) {
          ip = addressIn(network, rng.int(16), rng.int(254));
        }
        if (ctx.device.kind.device === 'mobile' && network.kind === 'mobile' && rng.chance(0.05)) {
          network = person.isp;
          ip = addressIn(person.isp, person.homePrefix, person.homeHost);
        }
        const use = { network, ip, place: ctx.place, ua, rtt: roundTrip(rng, network.kind, ctx.distance) };
        out.push({
          event: eventOf(person.id, use, t, 'token', id, true),
          truth: { kind: 'legit', user: person.id },
        });
      }
    }
  }

  const span = options.days * DAY_MS;
  const attackAt = () => DAY_MS * 7 + rng.int(span - DAY_MS * 7);
  const currentUa = (kind: BrowserKind, at: number) => userAgentOf(kind, Math.floor(at / DAY_MS), 0);

  for (let i = 0; i < options.attacksPerModel; i += 1) {
    // naive: attacker infrastructure anywhere, a popular browser.
    {
      const victim = rng.pick(people);
      const at = attackAt();
      const network = rng.pick(world.hosting);
      const country = world.country(network.country);
      const ctx = {
        network,
        ip: addressIn(network, rng.int(256), rng.int(254)),
        place: randomPlace(rng, country),
        ua: currentUa(popularKind(rng), at),
        rtt: roundTrip(rng, 'hosting', country.distance),
      };
      out.push({
        event: eventOf(victim.id, ctx, at, 'login', `a${i}n`, true),
        truth: { kind: 'naive', user: victim.id, distance: victim.home.country.distance },
      });
    }
    // VPN: an exit in the victim's country.
    {
      const victim = rng.pick(people);
      const at = attackAt();
      const network = rng.pick(world.vpn);
      const country = victim.home.country;
      const ctx = {
        network,
        ip: addressIn(network, world.countries.indexOf(country) * 8 + rng.int(4), rng.int(254)),
        place: { country, region: country.regions[0] as string, city: `${country.regions[0]}-C1` },
        ua: currentUa(popularKind(rng), at),
        rtt: roundTrip(rng, 'vpn', country.distance),
      };
      out.push({
        event: eventOf(victim.id, ctx, at, 'login', `a${i}v`, true),
        truth: { kind: 'vpn', user: victim.id, distance: victim.home.country.distance },
      });
    }
    // targeted: a residential proxy on the victim's ISP in the victim's city, the victim's exact UA.
    {
      const victim = rng.pick(people);
      const at = attackAt();
      const device = victim.devices[0] as Device;
      const ctx = {
        network: victim.isp,
        ip: addressIn(victim.isp, rng.int(256), rng.int(254)),
        place: victim.home,
        ua: userAgentOf(device.kind, Math.floor(at / DAY_MS), device.lag),
        rtt: roundTrip(rng, 'residential', victim.home.country.distance) + Math.round(rng.logNormal(25, 0.5)),
      };
      out.push({
        event: eventOf(victim.id, ctx, at, 'login', `a${i}t`, true),
        truth: { kind: 'targeted', user: victim.id, distance: victim.home.country.distance },
      });
    }
    // adaptive: knows the victim's country and device type; tries residential proxies on every ISP of
    // the country and VPN exits there, with the popular UAs of that device type; takes the lowest score.
    {
      const victim = rng.pick(people);
      const at = attackAt();
      const country = victim.home.country;
      const deviceType = (victim.devices[0] as Device).kind.device;
      const uas = BROWSERS.filter((b) => b.device === deviceType).map((b) => currentUa(b, at));
      const candidates: RiskEvent[] = [];
      const networks: Network[] = [
        ...country.residential,
        ...country.residential,
        world.vpn[0] as Network,
        world.vpn[1] as Network,
      ];
      for (const network of networks) {
        const place =
          network.kind === 'vpn'
            ? { country, region: country.regions[0] as string, city: `${country.regions[0]}-C1` }
            : randomPlace(rng, country);
        const ip =
          network.kind === 'vpn'
            ? addressIn(network, world.countries.indexOf(country) * 8, rng.int(254))
            : addressIn(network, rng.int(256), rng.int(254));
        const rtt = roundTrip(rng, network.kind, country.distance) + Math.round(rng.logNormal(20, 0.5));
        for (const ua of uas) {
          candidates.push(eventOf(victim.id, { network, ip, place, ua, rtt }, at, 'login', `a${i}a`, true));
        }
      }
      out.push({
        event: candidates[0] as RiskEvent,
        truth: { kind: 'adaptive', user: victim.id, candidates, distance: victim.home.country.distance },
      });
    }
  }
  // Credential stuffing: 5 campaigns, each from 3 hosting addresses, many accounts at a fast pace;
  // about 2 % of the guesses are right.
  const perCampaign = Math.max(1, Math.floor(options.attacksPerModel / 5));
  for (let campaign = 0; campaign < 5; campaign += 1) {
    const network = rng.pick(world.hosting);
    const country = world.country(network.country);
    const ips = [0, 1, 2].map(() => addressIn(network, rng.int(256), rng.int(254)));
    const ua = currentUa(popularKind(rng), attackAt());
    let at = attackAt();
    for (let n = 0; n < perCampaign; n += 1) {
      at += 500 + rng.int(3000);
      const victim = rng.pick(people);
      const ctx = {
        network,
        ip: rng.pick(ips),
        place: randomPlace(rng, country),
        ua,
        rtt: roundTrip(rng, 'hosting', country.distance),
      };
      out.push({
        event: eventOf(victim.id, ctx, at, 'login', `st${campaign}-${n}`, rng.chance(0.02)),
        truth: { kind: 'stuffing', user: victim.id, distance: victim.home.country.distance },
      });
    }
  }
  // Token replay: a stolen session token, used 20 times from 1 to 60 minutes after the sign-in.
  for (let r = 0; r < options.replaysPerModel; r += 1) {
    REPLAYS.forEach((kind, k) => {
      const s = rng.pick(sessions);
      let ctx: { network: Network; ip: string; place: Place; ua: UserAgent; distance: number };
      if (kind === 'replay_other_network') {
        const network = rng.pick(world.hosting);
        const country = world.country(network.country);
        ctx = {
          network,
          ip: addressIn(network, rng.int(256), rng.int(254)),
          place: randomPlace(rng, country),
          ua: s.ua,
          distance: country.distance,
        };
      } else if (kind === 'replay_same_city_copied_ua') {
        const network = rng.pick(s.place.country.residential);
        ctx = {
          network,
          ip: addressIn(network, rng.int(256), rng.int(254)),
          place: s.place,
          ua: s.ua,
          distance: s.place.country.distance,
        };
      } else {
        ctx = { network: s.network, ip: s.ip, place: s.place, ua: s.ua, distance: s.place.country.distance };
      }
      let t = s.at + 60_000 + rng.int(59 * 60_000);
      for (let request = 0; request < 20; request += 1) {
        t += 1000 + rng.int(30_000);
        const rtt =
          kind === 'replay_victim_nat'
            ? Math.round(s.rtt * rng.logNormal(1, 0.1))
            : roundTrip(rng, ctx.network.kind, ctx.distance);
        out.push({
          event: eventOf(s.person.id, { ...ctx, rtt }, t, 'token', s.id, true),
          truth: { kind, user: s.person.id, request, replay: r * REPLAYS.length + k },
        });
      }
    });
  }
  out.sort((a, b) => (a.event['Epoch ms'] as number) - (b.event['Epoch ms'] as number));
  return out;
}

export type { Country };
