/**
 * The only thing the browser holds: a session cookie with a random id. In production it is
 * `__Host-` prefixed, `Secure`, `HttpOnly`, `SameSite=Lax`, `Path=/` and host-only (RFC 6265bis
 * §4.1.3.2: the prefix makes the browser refuse it unless Secure, Path=/ and no Domain, so a
 * sibling subdomain cannot plant or overwrite it). On http://localhost, where browsers refuse
 * `Secure` cookies from plain-HTTP origins in general, it drops the prefix and `Secure` and keeps
 * everything else: the nearest safe equivalent for development on one machine.
 */

/**
 * Cookie settings derived from the BFF's public URL.
 *
 * @example
 * ```ts
 * const cookie = sessionCookieFor(new URL('https://app.example'));
 * cookie.name; // '__Host-bff-session'
 * ```
 */
export interface SessionCookie {
  name: string;
  secure: boolean;
  /** `Set-Cookie` value that stores `value` for `maxAge` seconds. */
  serialize(value: string, maxAge: number): string;
  /** `Set-Cookie` value that deletes the cookie. */
  clear(): string;
  /** This cookie's value in a `Cookie` header. */
  read(header: string | undefined): string | undefined;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Builds the {@link SessionCookie} for a BFF at `baseUrl`; plain HTTP only for loopback.
 *
 * @example
 * ```ts
 * sessionCookieFor(new URL('http://localhost:3000')).name; // 'bff-session' (development)
 * ```
 */
export function sessionCookieFor(baseUrl: URL, baseName = 'bff-session'): SessionCookie {
  const secure = baseUrl.protocol === 'https:';
  if (!secure && !(baseUrl.protocol === 'http:' && LOOPBACK.has(baseUrl.hostname))) {
    throw new TypeError(
      'The BFF must be served over https (plain http only on localhost/127.0.0.1 for development)',
    );
  }
  const name = secure ? `__Host-${baseName}` : baseName;
  const attributes = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  return {
    name,
    secure,
    serialize: (value, maxAge) =>
      `${name}=${value}; ${attributes}; Max-Age=${Math.max(0, Math.floor(maxAge))}`,
    clear: () => `${name}=; ${attributes}; Max-Age=0`,
    read(header) {
      if (header === undefined) {
        return undefined;
      }
      for (const part of header.split(';')) {
        const eq = part.indexOf('=');
        if (eq > 0 && part.slice(0, eq).trim() === name) {
          return part.slice(eq + 1).trim();
        }
      }
      return undefined;
    },
  };
}
