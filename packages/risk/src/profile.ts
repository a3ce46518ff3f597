/**
 * One person's sign-in history in fixed-size typed arrays: per level a handful of slots holding a
 * value's hash and its decayed weight, the novelty counts the model needs, recent RTTs, an
 * hour-of-day histogram and the newest version of a few browsers. About 1.1 KB per person, whatever the person did.
 */
export const LEVEL = {
  ip: 0,
  prefix: 1,
  asn: 2,
  country: 3,
  city: 4,
  region: 5,
  ua: 6,
  browser: 7,
  family: 8,
  os: 9,
  device: 10,
  deviceId: 11,
} as const;
export const LEVELS = 12;
export const SLOTS = 8;
export const RTT_SAMPLES = 8;
/** Browsers (family, OS family, device type) whose newest major version a profile remembers. */
export const VERSION_SLOTS = 4;

export interface Profile {
  readonly ids: Int32Array;
  readonly weights: Float32Array;
  /** Per level: how often a sign-in brought a new value, given the finer level was new too. */
  readonly novel: Float32Array;
  readonly trials: Float32Array;
  readonly rtt: Float32Array;
  readonly rttAsn: Int32Array;
  readonly hours: Float32Array;
  /** Per browser (hash of family, OS family, device type): the newest major version seen. */
  readonly versionIds: Int32Array;
  readonly versions: Float32Array;
  /** Sign-ins on a remembered browser, and how many of them showed an older version than its newest. */
  versionChecks: number;
  olderVersions: number;
  logins: number;
  lastMs: number;
  lastCountry: number;
  /** The last learned sign-in's place (0.1°), NaN when it had none. */
  lastLatitude: number;
  lastLongitude: number;
}

export function createProfile(): Profile {
  return {
    ids: new Int32Array(LEVELS * SLOTS),
    weights: new Float32Array(LEVELS * SLOTS),
    novel: new Float32Array(LEVELS),
    trials: new Float32Array(LEVELS),
    rtt: new Float32Array(RTT_SAMPLES),
    rttAsn: new Int32Array(RTT_SAMPLES),
    hours: new Float32Array(24),
    versionIds: new Int32Array(VERSION_SLOTS),
    versions: new Float32Array(VERSION_SLOTS),
    versionChecks: 0,
    olderVersions: 0,
    logins: 0,
    lastMs: 0,
    lastCountry: 0,
    lastLatitude: Number.NaN,
    lastLongitude: Number.NaN,
  };
}

/** The slot holding `id` at `level`, or −1. */
export function findSlot(profile: Profile, level: number, id: number): number {
  const base = level * SLOTS;
  for (let slot = base; slot < base + SLOTS; slot += 1) {
    if (profile.ids[slot] === id) {
      return slot;
    }
  }
  return -1;
}

/** A value's share of the level's weight (0 when absent). */
export function shareOf(profile: Profile, level: number, slot: number): number {
  const base = level * SLOTS;
  let total = 0;
  for (let i = base; i < base + SLOTS; i += 1) {
    total += profile.weights[i] ?? 0;
  }
  return slot < 0 || total <= 0 ? 0 : (profile.weights[slot] ?? 0) / total;
}

/** Adds one observation: an existing slot gains weight, else the empty or lightest slot is taken. */
export function addValue(profile: Profile, level: number, id: number): void {
  const found = findSlot(profile, level, id);
  if (found >= 0) {
    profile.weights[found] = (profile.weights[found] ?? 0) + 1;
    return;
  }
  const base = level * SLOTS;
  let victim = base;
  for (let slot = base; slot < base + SLOTS; slot += 1) {
    if (profile.ids[slot] === 0) {
      victim = slot;
      break;
    }
    if ((profile.weights[slot] ?? 0) < (profile.weights[victim] ?? 0)) {
      victim = slot;
    }
  }
  profile.ids[victim] = id;
  profile.weights[victim] = 1;
}

/** Multiplies every weight by `factor` (time decay). */
export function decayProfile(profile: Profile, factor: number): void {
  if (factor >= 1) {
    return;
  }
  for (let i = 0; i < profile.weights.length; i += 1) {
    profile.weights[i] = (profile.weights[i] ?? 0) * factor;
  }
  for (let i = 0; i < 24; i += 1) {
    profile.hours[i] = (profile.hours[i] ?? 0) * factor;
  }
}

/** The newest major version the person has shown on `browser` (a hash), or −1. */
export function newestVersion(profile: Profile, browser: number): number {
  const slot = profile.versionIds.indexOf(browser);
  return browser === 0 || slot < 0 ? -1 : (profile.versions[slot] ?? -1);
}

/** Remembers `version` for `browser` if newer; a browser not yet remembered takes the oldest-version slot. */
export function noteVersion(profile: Profile, browser: number, version: number): void {
  let slot = profile.versionIds.indexOf(browser);
  if (slot < 0) {
    slot = profile.versionIds.indexOf(0);
  }
  if (slot < 0) {
    slot = 0;
    for (let i = 1; i < VERSION_SLOTS; i += 1) {
      if ((profile.versions[i] ?? 0) < (profile.versions[slot] ?? 0)) {
        slot = i;
      }
    }
  }
  if (profile.versionIds[slot] !== browser) {
    profile.versionIds[slot] = browser;
    profile.versions[slot] = version;
  } else {
    profile.versions[slot] = Math.max(profile.versions[slot] ?? 0, version);
  }
}
