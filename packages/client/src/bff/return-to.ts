/**
 * Where the BFF sends the browser after sign-in: a path on the BFF's own origin, never anywhere
 * else (no open redirect, RFC 9700 §4.11). Browsers are lenient where servers are strict: they drop
 * tabs and newlines anywhere in a URL (`/\t/evil.example` becomes `//evil.example`), read `\` as
 * `/`, and treat `//host` as another origin. So the value is refused when it holds a control
 * character or a backslash (raw or percent-encoded), resolved with the WHATWG URL parser against
 * the BFF's origin, and kept only when it stays on that origin; what is kept is the parser's own
 * serialization, which a browser reads back the same way.
 */

/** C0 controls, DEL and the backslash: browsers strip or reinterpret them in URLs. */
function hasUnsafeCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x7f || code === 0x5c) {
      return true;
    }
  }
  return false;
}

/**
 * The BFF's own location: its origin and the path it is mounted under (no trailing slash).
 *
 * @example
 * ```ts
 * const base: ReturnToBase = { origin: 'https://app.example', basePath: '/app' };
 * ```
 */
export interface ReturnToBase {
  origin: string;
  basePath: string;
}

function decodedOnce(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** True when a browser could read `value` as something other than a path on this origin. */
function looksHostile(value: string): boolean {
  return !value.startsWith('/') || value.startsWith('//') || hasUnsafeCharacter(value);
}

/**
 * The path (with query and fragment) to send the browser to after sign-in, under the BFF's base
 * path; `<basePath>/` for anything that is not plainly a local path.
 *
 * @example
 * ```ts
 * const base = { origin: 'https://app.example', basePath: '' };
 * safeReturnTo('/jar?x=1', base); // '/jar?x=1'
 * safeReturnTo('/\t/evil.example', base); // '/'
 * ```
 */
export function safeReturnTo(value: string | null, base: ReturnToBase): string {
  const fallback = `${base.basePath}/`;
  if (value === null || looksHostile(value)) {
    return fallback;
  }
  // A value that turns hostile once decoded (`/%2F%2Fevil`, `/%5Cevil`, `/%09/evil`) is refused
  // too: an app behind the BFF may decode the path again and redirect on it.
  const decoded = decodedOnce(value);
  if (decoded === undefined || looksHostile(decoded)) {
    return fallback;
  }
  let resolved: URL;
  try {
    resolved = new URL(`${base.basePath}${value}`, base.origin);
  } catch {
    return fallback;
  }
  if (resolved.origin !== base.origin || resolved.pathname.startsWith('//')) {
    return fallback;
  }
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}
