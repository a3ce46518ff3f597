/**
 * Cross-site request forgery defences for a cookie-authenticated BFF. The `SameSite=Lax` cookie
 * already stays home on cross-site POSTs in modern browsers; these checks do not rely on it:
 * - proxy calls must carry a custom header (`X-Requested-With`), which a cross-site page can only
 *   send after a CORS preflight that the BFF never grants, and no HTML form can send at all;
 * - every state-changing request (and every proxy call) must come from the BFF's own origin,
 *   according to `Sec-Fetch-Site` (Fetch Metadata) or, failing that, `Origin`.
 */

/**
 * The request headers the checks read (lower-cased names).
 *
 * @example
 * ```ts
 * isSameOrigin({ origin: 'https://app.example' }, 'https://app.example'); // true
 * ```
 */
export type HeaderView = Record<string, string | undefined>;

/**
 * The header a proxy call must carry.
 *
 * @example
 * ```ts
 * fetch('/api/cookies', { headers: { [CSRF_HEADER]: 'fetch' } });
 * ```
 */
export const CSRF_HEADER = 'x-requested-with';

/**
 * True unless the browser says the request came from another site or origin.
 *
 * @example
 * ```ts
 * if (!isSameOrigin(headers, 'https://app.example')) { return forbidden(); }
 * ```
 */
export function isSameOrigin(headers: HeaderView, origin: string): boolean {
  const site = headers['sec-fetch-site'];
  if (site !== undefined) {
    // Fetch Metadata is set by the browser and cannot be forged by page script; when present it
    // decides. (`Origin` can be `null` on same-origin form posts under `Referrer-Policy: no-referrer`.)
    return site === 'same-origin' || site === 'none';
  }
  const from = headers.origin;
  // Older browsers: Origin is sent on every non-GET fetch and form post; `null` is refused.
  return from === undefined || from === origin;
}

/**
 * The check for proxy calls: custom header present and same origin.
 *
 * @example
 * ```ts
 * await fetch('/api/cookies', { headers: { 'X-Requested-With': 'fetch' } });
 * ```
 */
export function isTrustedApiCall(headers: HeaderView, origin: string): boolean {
  const marker = headers[CSRF_HEADER];
  return marker !== undefined && marker !== '' && isSameOrigin(headers, origin);
}
