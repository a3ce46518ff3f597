/** How long a rotated-away client secret keeps working: a duration ("1h", "30m") or seconds; 0 ends it at once. */
import { OAuthError } from '@tessera/protocol';
import { parseDuration } from '../../config/schema.js';

/** The longest grace accepted: long enough for any deployment, short enough that a leak ends. */
export const MAX_ROTATION_GRACE = 30 * 86_400;

/** Parses a grace period to seconds or throws `invalid_request` naming `field`. */
export function parseRotationGrace(value: unknown, field = 'grace'): number {
  const seconds = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
  if (seconds === undefined || seconds > MAX_ROTATION_GRACE) {
    throw OAuthError.invalidRequest(
      `${field} must be a duration such as "1h" or "30m", or seconds, from 0 (end the old secret now) to 30 days`,
    );
  }
  return seconds;
}
