/**
 * The rate-limit syntax of the CLI and the admin API: `LIMIT/WINDOW`, e.g. `100/1m`, `10/1s`,
 * `5000/1d` (a bare window number is seconds). The kind (`fixed` or `sliding`) is given apart.
 */
import { OAuthError } from '@tessera/protocol';
import type { RateLimitSpec } from '../../store/ports.js';

const SPEC_RE = /^\s*(\d{1,10})\s*\/\s*(\d{0,10})\s*(s|m|h|d)?\s*$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

export const MAX_RATE_LIMIT = 1_000_000_000;
/** A window longer than a month would keep counters around for no use. */
export const MAX_RATE_LIMIT_WINDOW = 30 * 86_400;

/** Checks a spec's numbers; throws `invalid_request` naming the problem. */
export function assertRateLimitSpec(spec: RateLimitSpec): RateLimitSpec {
  if (!Number.isInteger(spec.limit) || spec.limit < 1 || spec.limit > MAX_RATE_LIMIT) {
    throw OAuthError.invalidRequest(`Rate limit must be a whole number from 1 to ${MAX_RATE_LIMIT}`);
  }
  if (!Number.isInteger(spec.window) || spec.window < 1 || spec.window > MAX_RATE_LIMIT_WINDOW) {
    throw OAuthError.invalidRequest('Rate-limit window must be from 1 second to 30 days');
  }
  if (spec.kind !== 'fixed' && spec.kind !== 'sliding') {
    throw OAuthError.invalidRequest('Rate-limit kind must be fixed or sliding');
  }
  return spec;
}

/**
 * Parses `100/1m` (and `100/m`, `100/60`) into a spec.
 *
 * @example
 * ```ts
 * parseRateLimit('100/1m'); // { limit: 100, window: 60, kind: 'fixed' }
 * ```
 */
export function parseRateLimit(text: string, kind: RateLimitSpec['kind'] = 'fixed'): RateLimitSpec {
  const match = SPEC_RE.exec(text);
  if (match === null || (match[2] === '' && match[3] === undefined)) {
    throw OAuthError.invalidRequest('Rate limit must look like 100/1m (LIMIT/WINDOW with s, m, h or d)');
  }
  const amount = match[2] === '' ? 1 : Number(match[2]);
  const window = amount * (UNIT_SECONDS[match[3] ?? 's'] ?? 1);
  return assertRateLimitSpec({ limit: Number(match[1]), window, kind });
}

/** `{limit: 100, window: 60}` → `100/1m`: the shortest exact form. */
export function formatRateLimit(spec: Pick<RateLimitSpec, 'limit' | 'window'>): string {
  for (const [unit, seconds] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (spec.window % seconds === 0) {
      return `${spec.limit}/${spec.window / seconds}${unit}`;
    }
  }
  return `${spec.limit}/${spec.window}s`;
}
