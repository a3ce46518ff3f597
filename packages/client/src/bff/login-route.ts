/**
 * `GET <login>?returnTo=/path`: starts a sign-in (authorization code with PKCE) and sends the
 * browser to Tessera. `acr_values` and `max_age` (from a step-up, RFC 9470 §5) are passed on to the
 * authorization request (OIDC Core §3.1.2.1) when well-formed, and dropped otherwise. The transaction and the validated return path are kept in the session the
 * cookie names, or in a new one.
 */

import { isAcrValues } from '../bearer-challenge.js';
import type { Clock } from '../clock.js';
import type { WebAppClient } from '../web-app/web-app-client.js';
import type { BffRequest, BffResponse } from './bff.js';
import { noStore } from './bff-response.js';
import { safeReturnTo } from './return-to.js';
import type { SessionCookie } from './session-cookie.js';
import type { SessionStore } from './session-store.js';

/**
 * What {@link createLoginRoute} needs.
 *
 * @example
 * ```ts
 * const deps: LoginRouteDeps = { webApp, sessions, cookie, clock, origin: 'https://app.example', basePath: '' };
 * ```
 */
export interface LoginRouteDeps {
  webApp: Pick<WebAppClient, 'startAuthorization'>;
  sessions: Pick<SessionStore, 'load' | 'update' | 'create' | 'ttl'>;
  cookie: Pick<SessionCookie, 'read' | 'serialize'>;
  clock: Clock;
  /** The BFF's origin and base path: the only place `returnTo` may lead. */
  origin: string;
  basePath: string;
}

/**
 * Creates the login route; `url` is the request URL relative to the base path.
 *
 * @example
 * ```ts
 * const login = createLoginRoute({ webApp, sessions, cookie, clock, origin, basePath });
 * const response = await login(request, new URL('/auth/login?returnTo=/cart', origin));
 * ```
 */
export function createLoginRoute(
  deps: LoginRouteDeps,
): (request: BffRequest, url: URL) => Promise<BffResponse> {
  const { webApp, sessions, cookie, clock, origin, basePath } = deps;
  const setCookie = (id: string) => cookie.serialize(id, sessions.ttl);

  return async function login(request, url) {
    const stepUp: Record<string, string> = {};
    const acrValues = url.searchParams.get('acr_values');
    if (acrValues !== null && isAcrValues(acrValues)) {
      stepUp.acr_values = acrValues;
    }
    const maxAge = url.searchParams.get('max_age');
    if (maxAge !== null && /^\d{1,10}$/.test(maxAge)) {
      stepUp.max_age = maxAge;
    }
    const { url: authorizeUrl, transaction } = await webApp.startAuthorization(
      Object.keys(stepUp).length === 0 ? undefined : { extraParams: stepUp },
    );
    const pending = {
      transaction,
      returnTo: safeReturnTo(url.searchParams.get('returnTo'), { origin, basePath }),
    };
    const existing = await sessions.load(cookie.read(request.headers.cookie));
    if (existing !== undefined) {
      const updated = await sessions.update(existing, { ...existing.data, pending });
      if (updated !== undefined) {
        return { status: 302, headers: noStore({ location: authorizeUrl.toString() }) };
      }
    }
    const { id } = await sessions.create({ createdAt: clock.now(), pending });
    return {
      status: 302,
      headers: noStore({ location: authorizeUrl.toString(), 'set-cookie': setCookie(id) }),
    };
  };
}
