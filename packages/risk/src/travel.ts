/**
 * Impossible travel: two sign-ins of one person from places farther apart than anyone can travel
 * in the time between them. The places are the city database's coordinates of each address (a
 * city's centre, not the device's position), so distances below {@link MIN_DISTANCE_KM} are within
 * the database's error and never count.
 */

/** Faster than an airliner's ground speed (about 900 km/h) plus slack. */
export const MAX_SPEED_KMH = 1000;
/** Closer than this is the same metropolitan area as far as an IP city database can tell. */
export const MIN_DISTANCE_KM = 500;
/** The factor's value at the threshold speed; it grows with log(speed / threshold) up to +2. */
const BASE = 4;
const EARTH_RADIUS_KM = 6371;

export interface Place {
  readonly latitude: number;
  readonly longitude: number;
}

/** Great-circle distance (haversine), kilometres. */
export function distanceKm(a: Place, b: Place): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The `impossible_travel` factor from the previous sign-in's place and time to this one's: 0 for a
 * plausible trip (or one closer than {@link MIN_DISTANCE_KM}, or out of order), else
 * 4 + ln(speed / 1000 km/h), at most 6 (a jump within the same second counts as the fastest).
 *
 * @example
 * ```ts
 * // Berlin → Sydney 30 minutes later: 16,000 km at 32,000 km/h.
 * impossibleTravel({ latitude: 52.5, longitude: 13.4 }, { latitude: -33.9, longitude: 151.2 }, 1_800_000); // 6
 * ```
 */
export function impossibleTravel(from: Place, to: Place, elapsedMs: number): number {
  if (!(elapsedMs >= 0)) {
    return 0;
  }
  const km = distanceKm(from, to);
  if (km < MIN_DISTANCE_KM) {
    return 0;
  }
  const hours = Math.max(elapsedMs, 1000) / 3_600_000;
  const speed = km / hours;
  if (speed <= MAX_SPEED_KMH) {
    return 0;
  }
  return Math.min(BASE + 2, BASE + Math.log(speed / MAX_SPEED_KMH));
}

/** Coordinates kept in a person's history: 0.1° (about 11 km), as coarse as a city centre. */
export function coarse(degrees: number): number {
  return Math.round(degrees * 10) / 10;
}
