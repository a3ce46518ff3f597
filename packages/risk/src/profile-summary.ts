/**
 * A person's history in readable form, for the right of access: what the engine keeps, level by
 * level. Values are kept only as 32-bit FNV-1a hashes (hash.ts), never as raw addresses, networks,
 * places or User-Agent strings, so the summary shows the hashes (hexadecimal) with their decayed
 * weights, the hour-of-day histogram (UTC), the recent round-trip times and the newest browser
 * major versions.
 */
import { LEVEL, LEVELS, type Profile, RTT_SAMPLES, SLOTS, VERSION_SLOTS } from './profile.js';

export interface RiskProfileSummary {
  /** How the values are kept. */
  readonly values: 'fnv1a-32 hashes';
  readonly signIns: number;
  /** Time of the latest sign-in learned (Unix ms), or null. */
  readonly lastSignInMs: number | null;
  /** Per level (ip, prefix (/24 or /48), asn, country, city, region, ua, browser, family, os, device, deviceId): the remembered values. */
  readonly levels: Readonly<Record<string, readonly { hash: string; weight: number }[]>>;
  /** Decayed sign-ins per hour of day (UTC), 0–23. */
  readonly hoursUtc: readonly number[];
  /** Recent round-trip times (ms) with the hash of the network they were measured on. */
  readonly roundTripTimes: readonly { ms: number; asn: string }[];
  /** Per browser (hash of family, OS family, device type): the newest major version seen. */
  readonly browsers: readonly { hash: string; newestMajor: number }[];
}

const hex = (id: number) => (id >>> 0).toString(16).padStart(8, '0');
const round = (value: number) => Math.round(value * 1000) / 1000;

export function summarizeProfile(profile: Profile): RiskProfileSummary {
  const names = Object.keys(LEVEL) as (keyof typeof LEVEL)[];
  const levels: Record<string, { hash: string; weight: number }[]> = {};
  for (const name of names) {
    const level = LEVEL[name];
    const values: { hash: string; weight: number }[] = [];
    for (let slot = level * SLOTS; slot < (level + 1) * SLOTS && level < LEVELS; slot += 1) {
      const id = profile.ids[slot] ?? 0;
      if (id !== 0) {
        values.push({ hash: hex(id), weight: round(profile.weights[slot] ?? 0) });
      }
    }
    levels[name] = values;
  }
  const roundTripTimes: { ms: number; asn: string }[] = [];
  for (let i = 0; i < RTT_SAMPLES; i += 1) {
    const ms = profile.rtt[i] ?? 0;
    if (ms > 0) {
      roundTripTimes.push({ ms: round(ms), asn: hex(profile.rttAsn[i] ?? 0) });
    }
  }
  const browsers: { hash: string; newestMajor: number }[] = [];
  for (let i = 0; i < VERSION_SLOTS; i += 1) {
    const id = profile.versionIds[i] ?? 0;
    if (id !== 0) {
      browsers.push({ hash: hex(id), newestMajor: profile.versions[i] ?? 0 });
    }
  }
  return {
    values: 'fnv1a-32 hashes',
    signIns: profile.logins,
    lastSignInMs: profile.logins === 0 ? null : profile.lastMs,
    levels,
    hoursUtc: Array.from(profile.hours, round),
    roundTripTimes,
    browsers,
  };
}
