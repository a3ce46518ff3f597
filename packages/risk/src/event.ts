/**
 * The event schema: the column names of the public RBA dataset (Wiefling et al., "Pump Up Password
 * Security!", ACM TOPS 2022) plus `Event Type`, `Epoch ms` and `Session ID` (the evaluation contract), and an
 * optional `Device ID` (the value of the device's own long-lived cookie, when a deployment has one).
 *
 * Values arrive as the dataset prints them: strings or numbers, possibly empty, `-` or absurd. The
 * readers below turn anything into a usable value or `undefined`; they never throw.
 */

/** One sign-in attempt or one token use. Labels may be present; the scorers never read them. */
export interface RiskEvent {
  readonly 'IP Address'?: string | undefined;
  readonly Country?: string | undefined;
  readonly Region?: string | undefined;
  readonly City?: string | undefined;
  /**
   * Where the address geolocates (degrees, WGS 84; from a city database). Not an RBA column: a
   * server fills it in when its database has coordinates, for `impossible_travel`.
   */
  readonly Latitude?: number | string | undefined;
  readonly Longitude?: number | string | undefined;
  readonly ASN?: string | number | undefined;
  readonly 'User Agent String'?: string | undefined;
  readonly 'Browser Name and Version'?: string | undefined;
  readonly 'OS Name and Version'?: string | undefined;
  readonly 'Device Type'?: string | undefined;
  readonly 'Round-Trip Time [ms]'?: string | number | undefined;
  readonly 'Login Timestamp'?: string | number | undefined;
  readonly 'User ID'?: string | number | undefined;
  readonly 'Login Successful'?: boolean | string | undefined;
  readonly 'Is Attack IP'?: boolean | string | undefined;
  readonly 'Is Account Takeover'?: boolean | string | undefined;
  readonly 'Event Type'?: 'login' | 'token' | string | undefined;
  readonly 'Epoch ms'?: number | string | undefined;
  readonly 'Session ID'?: string | number | undefined;
  readonly 'Device ID'?: string | undefined;
}

/** The label columns: `score` must never read them (tested with a trapping proxy). */
export const LABEL_COLUMNS = ['Login Successful', 'Is Attack IP', 'Is Account Takeover'] as const;

const MAX_TEXT = 512;

/** A categorical value, trimmed and bounded; empty, `-`, `unknown` and non-strings are `undefined`. */
export function readText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  if (typeof value !== 'string') {
    return undefined;
  }
  const text = value.trim();
  if (text === '' || text === '-' || text === '--' || text.toLowerCase() === 'unknown' || text === 'null') {
    return undefined;
  }
  return text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text;
}

/** A finite number ≥ 0, or `undefined`. */
export function readNumber(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** A finite number within ±`limit` (negative allowed, unlike {@link readNumber}), or `undefined`. */
export function readCoordinate(value: unknown, limit: number): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : Number.NaN;
  return Number.isFinite(n) && Math.abs(n) <= limit ? n : undefined;
}

/** `true`, `'true'`, `'True'`, `1` → true; anything else false. */
export function readBoolean(value: unknown): boolean {
  return value === true || value === 1 || (typeof value === 'string' && /^(true|1|yes)$/i.test(value.trim()));
}

/**
 * A count since the epoch in whatever unit it came (the RBA dataset documents `Login Timestamp` as a
 * 64-bit integer without naming one), as milliseconds: below 10¹¹ seconds (10¹¹ ms is 1973), below
 * 10¹⁴ milliseconds, below 10¹⁷ microseconds, else nanoseconds.
 */
function epochMsOfCount(count: number): number {
  if (count < 1e11) {
    return count * 1_000;
  }
  if (count < 1e14) {
    return count;
  }
  return count < 1e17 ? count / 1_000 : count / 1_000_000;
}

/**
 * The event's time: `Epoch ms`, else `Login Timestamp` (a date and time as the dataset prints them,
 * read as UTC unless they name an offset, or a count since the epoch), else 0.
 */
export function readEpochMs(event: RiskEvent): number {
  const epoch = readNumber(event['Epoch ms']);
  if (epoch !== undefined) {
    return epoch;
  }
  const stamp = readText(event['Login Timestamp']);
  if (stamp !== undefined && /^\d+(\.\d+)?$/.test(stamp)) {
    return epochMsOfCount(Number(stamp));
  }
  if (stamp !== undefined) {
    const parsed = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(stamp) ? stamp : `${stamp.replace(' ', 'T')}Z`);
    if (Number.isFinite(parsed)) {
      return parsed;
    }
  }
  return 0;
}

export function isTokenEvent(event: RiskEvent): boolean {
  return readText(event['Event Type'])?.toLowerCase() === 'token';
}
