/**
 * The BFF's own answers: never cached (`Cache-Control: no-store`), JSON for the browser app's
 * calls and plain text for the pages a person lands on during sign-in.
 */
import type { BffResponse } from './bff.js';

/**
 * Headers with `Cache-Control: no-store` added (a header given wins).
 *
 * @example
 * ```ts
 * noStore({ location: '/' }); // { 'cache-control': 'no-store', location: '/' }
 * ```
 */
export function noStore(headers: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return { 'cache-control': 'no-store', ...headers };
}

/**
 * A JSON answer.
 *
 * @example
 * ```ts
 * json(401, { error: 'login_required' });
 * ```
 */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): BffResponse {
  return {
    status,
    headers: noStore({ 'content-type': 'application/json; charset=utf-8', ...headers }),
    body: JSON.stringify(body),
  };
}

/**
 * A plain-text answer.
 *
 * @example
 * ```ts
 * text(400, 'Sign-in failed. Start again.');
 * ```
 */
export function text(
  status: number,
  body: string,
  headers: Record<string, string | string[]> = {},
): BffResponse {
  return { status, headers: noStore({ 'content-type': 'text/plain; charset=utf-8', ...headers }), body };
}
