/**
 * A person's history ({@link Profile}) as a compact, versioned string for a store: the typed arrays
 * and counters, little-endian, after a one-byte format version, in base64 (1,113 bytes, 1,484
 * characters; `btoa`/`atob`, so it runs wherever the engine does). {@link decodeProfile} refuses an unknown version, a wrong length or a non-finite
 * number with {@link RiskProfileFormatError}, so a corrupt row is never scored with.
 */
import { createProfile, LEVELS, type Profile, RTT_SAMPLES, SLOTS, VERSION_SLOTS } from './profile.js';

/** The format written by {@link encodeProfile}. */
export const PROFILE_FORMAT = 1;

const ARRAYS = [
  ['ids', LEVELS * SLOTS],
  ['weights', LEVELS * SLOTS],
  ['novel', LEVELS],
  ['trials', LEVELS],
  ['rtt', RTT_SAMPLES],
  ['rttAsn', RTT_SAMPLES],
  ['hours', 24],
  ['versionIds', VERSION_SLOTS],
  ['versions', VERSION_SLOTS],
] as const;
const SCALARS = ['versionChecks', 'olderVersions', 'logins', 'lastMs', 'lastCountry'] as const;
/** The last sign-in's coordinates (for `impossible_travel`): degrees within range, or NaN for unknown. */
const COORDINATES = [
  ['lastLatitude', 90],
  ['lastLongitude', 180],
] as const;
const BYTES =
  1 + ARRAYS.reduce((sum, [, length]) => sum + 4 * length, 0) + 8 * (SCALARS.length + COORDINATES.length);

export class RiskProfileFormatError extends Error {
  override readonly name = 'RiskProfileFormatError';
}

export function encodeProfile(profile: Profile): string {
  const bytes = new Uint8Array(BYTES);
  const view = new DataView(bytes.buffer);
  bytes[0] = PROFILE_FORMAT;
  let at = 1;
  for (const [name, length] of ARRAYS) {
    const array = profile[name];
    for (let i = 0; i < length; i += 1) {
      if (array instanceof Int32Array) {
        view.setInt32(at, array[i] ?? 0, true);
      } else {
        view.setFloat32(at, array[i] ?? 0, true);
      }
      at += 4;
    }
  }
  for (const name of SCALARS) {
    view.setFloat64(at, profile[name], true);
    at += 8;
  }
  for (const [name] of COORDINATES) {
    view.setFloat64(at, profile[name], true);
    at += 8;
  }
  let binary = '';
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary);
}

export function decodeProfile(text: string): Profile {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new RiskProfileFormatError('a risk profile is not base64');
  }
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  if (bytes.length === 0 || bytes[0] !== PROFILE_FORMAT) {
    throw new RiskProfileFormatError(`unknown risk profile format ${bytes[0] ?? '(empty)'}`);
  }
  if (bytes.length !== BYTES) {
    throw new RiskProfileFormatError(
      `a risk profile of format ${PROFILE_FORMAT} has ${BYTES} bytes, not ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const profile = createProfile();
  let at = 1;
  for (const [name, length] of ARRAYS) {
    const array = profile[name];
    for (let i = 0; i < length; i += 1) {
      const value = array instanceof Int32Array ? view.getInt32(at, true) : view.getFloat32(at, true);
      if (!Number.isFinite(value)) {
        throw new RiskProfileFormatError(`a risk profile's ${name} is not finite`);
      }
      array[i] = value;
      at += 4;
    }
  }
  for (const name of SCALARS) {
    const value = view.getFloat64(at, true);
    if (!Number.isFinite(value)) {
      throw new RiskProfileFormatError(`a risk profile's ${name} is not finite`);
    }
    profile[name] = value;
    at += 8;
  }
  for (const [name, limit] of COORDINATES) {
    const value = view.getFloat64(at, true);
    if (!Number.isNaN(value) && !(Math.abs(value) <= limit)) {
      throw new RiskProfileFormatError(`a risk profile's ${name} is out of range`);
    }
    profile[name] = value;
    at += 8;
  }
  return profile;
}
