/**
 * Feature extraction shared by both models: one event → the values each hierarchy level compares.
 *
 * Network: IP → prefix (/24 for IPv4, /48 for IPv6) → ASN → country; city and region beside it.
 * Client: UA string → browser name and version → browser family on the OS family → OS family → device type.
 * Browser and OS come from the event's own columns when present (the RBA dataset carries them); when
 * they are missing, a small recogniser reads the family from the UA string. Why not `ua-parser-js`:
 * v2 is AGPL-3.0-or-later (checked with `npm view ua-parser-js@2 license`); v1.0.41 is MIT and may be
 * used by a server that only has the raw header, but the engine itself needs only families.
 */
import { type RiskEvent, readCoordinate, readEpochMs, readNumber, readText } from './event.js';

export interface Features {
  readonly user: string;
  readonly ip: string | undefined;
  readonly prefix: string | undefined;
  readonly asn: string | undefined;
  readonly country: string | undefined;
  readonly region: string | undefined;
  readonly city: string | undefined;
  /** Degrees; both or neither (a lone latitude is no place). */
  readonly latitude: number | undefined;
  readonly longitude: number | undefined;
  readonly ua: string | undefined;
  readonly browser: string | undefined;
  readonly browserFamily: string | undefined;
  readonly os: string | undefined;
  readonly osFamily: string | undefined;
  readonly device: string | undefined;
  /** The browser's major version (from the browser column, else from the UA string), if readable. */
  readonly browserMajor: number | undefined;
  readonly rttMs: number | undefined;
  readonly epochMs: number;
  readonly hour: number;
  readonly session: string | undefined;
  readonly deviceId: string | undefined;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The /24 (IPv4) or /48 (IPv6) an address belongs to; `undefined` for anything that is not an address. */
export function prefixOf(ip: string | undefined): string | undefined {
  if (ip === undefined) {
    return undefined;
  }
  const v4 = IPV4.exec(ip);
  if (v4 !== null) {
    return v4.slice(1).some((part) => Number(part) > 255) ? undefined : `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  }
  if (ip.includes(':') && /^[0-9a-f:.]+$/i.test(ip)) {
    const groups = ip.toLowerCase().split(':');
    return `${groups.slice(0, 3).join(':')}::/48`;
  }
  return undefined;
}

/** Name without its version: `Chrome Mobile 86.0.4240` → `chrome mobile`. */
export function familyOf(nameAndVersion: string | undefined): string | undefined {
  if (nameAndVersion === undefined) {
    return undefined;
  }
  const family = nameAndVersion
    .toLowerCase()
    .replace(/[\s/]*v?\d[\w.]*.*$/, '')
    .trim();
  return family === '' ? undefined : family;
}

const UA_BROWSERS: readonly [RegExp, string][] = [
  [/edg(e|a|ios)?\//i, 'edge'],
  [/opr\/|opera/i, 'opera'],
  [/samsungbrowser/i, 'samsung internet'],
  [/firefox|fxios/i, 'firefox'],
  [/chrome|crios|chromium/i, 'chrome'],
  [/safari/i, 'safari'],
  [/bot|crawl|spider|curl|python|wget|java\//i, 'bot'],
];
const UA_OSES: readonly [RegExp, string][] = [
  [/windows/i, 'windows'],
  [/android/i, 'android'],
  [/iphone|ipad|ios/i, 'ios'],
  [/mac os|macintosh/i, 'mac os x'],
  [/cros/i, 'chrome os'],
  [/linux/i, 'linux'],
];

/** The major version after a browser's token in a UA string (`Chrome/120.0` → 120). */
const UA_VERSIONS: Record<string, RegExp> = {
  edge: /edg(?:e|a|ios)?\/(\d+)/i,
  opera: /opr\/(\d+)/i,
  'samsung internet': /samsungbrowser\/(\d+)/i,
  firefox: /(?:firefox|fxios)\/(\d+)/i,
  chrome: /(?:chrome|crios|chromium)\/(\d+)/i,
  safari: /version\/(\d+)/i,
};

/** `Chrome 120.0.6099` → 120; otherwise the version token in the UA string; `undefined` if none. */
export function majorVersionOf(
  browser: string | undefined,
  family: string | undefined,
  ua: string | undefined,
): number | undefined {
  const fromColumn = browser === undefined ? null : /(?:^|\s)v?(\d+)(?:[._]|$)/.exec(browser);
  const fromUa =
    fromColumn === null && ua !== undefined && family !== undefined
      ? (UA_VERSIONS[family]?.exec(ua) ?? null)
      : null;
  const digits = (fromColumn ?? fromUa)?.[1];
  const version = digits === undefined ? Number.NaN : Number(digits);
  return Number.isSafeInteger(version) ? version : undefined;
}

function recognise(ua: string | undefined, table: readonly [RegExp, string][]): string | undefined {
  if (ua === undefined) {
    return undefined;
  }
  return table.find(([pattern]) => pattern.test(ua))?.[1];
}

export function extractFeatures(event: RiskEvent): Features {
  const ip = readText(event['IP Address']);
  const ua = readText(event['User Agent String']);
  const browser = readText(event['Browser Name and Version'])?.toLowerCase();
  const os = readText(event['OS Name and Version'])?.toLowerCase();
  const epochMs = readEpochMs(event);
  const rtt = readNumber(event['Round-Trip Time [ms]']);
  const browserFamily = familyOf(browser) ?? recognise(ua, UA_BROWSERS);
  const latitude = readCoordinate(event.Latitude, 90);
  const longitude = readCoordinate(event.Longitude, 180);
  const placed = latitude !== undefined && longitude !== undefined;
  return {
    user: readText(event['User ID']) ?? '',
    ip,
    prefix: prefixOf(ip),
    asn: readText(event.ASN),
    country: readText(event.Country)?.toUpperCase(),
    region: readText(event.Region),
    city: readText(event.City),
    latitude: placed ? latitude : undefined,
    longitude: placed ? longitude : undefined,
    ua,
    browser,
    browserFamily,
    os,
    osFamily: familyOf(os) ?? recognise(ua, UA_OSES),
    device: readText(event['Device Type'])?.toLowerCase(),
    browserMajor: majorVersionOf(browser, browserFamily, ua),
    // An RTT over a minute is a broken measurement, not a faraway client.
    rttMs: rtt !== undefined && rtt > 0 && rtt < 60_000 ? rtt : undefined,
    epochMs,
    hour: Math.floor(epochMs / 3_600_000) % 24,
    session: readText(event['Session ID']),
    deviceId: readText(event['Device ID']),
  };
}
