/**
 * `GET <session>`: who is signed in, for the browser app. A few profile claims and the granted
 * scope; never a token.
 */
import type { BffRequest, BffResponse } from './bff.js';
import { json } from './bff-response.js';
import type { SessionCookie } from './session-cookie.js';
import type { SessionStore } from './session-store.js';

/**
 * What {@link createSessionRoute} needs.
 *
 * @example
 * ```ts
 * const deps: SessionRouteDeps = { sessions, cookie };
 * ```
 */
export interface SessionRouteDeps {
  sessions: Pick<SessionStore, 'load'>;
  cookie: Pick<SessionCookie, 'read'>;
}

/**
 * Creates the session route.
 *
 * @example
 * ```ts
 * const sessionInfo = createSessionRoute({ sessions, cookie });
 * const response = await sessionInfo(request); // { authenticated: true, user: { sub, … }, scope }
 * ```
 */
export function createSessionRoute(deps: SessionRouteDeps): (request: BffRequest) => Promise<BffResponse> {
  const { sessions, cookie } = deps;

  return async function sessionInfo(request) {
    const session = await sessions.load(cookie.read(request.headers.cookie));
    const claims = session?.data.tokens?.claims;
    if (session?.data.tokens === undefined) {
      return json(200, { authenticated: false });
    }
    const pick = (name: string) => (typeof claims?.[name] === 'string' ? claims[name] : undefined);
    return json(200, {
      authenticated: true,
      user: {
        sub: pick('sub'),
        name: pick('name'),
        email: pick('email'),
        preferred_username: pick('preferred_username'),
      },
      scope: session.data.tokens.scope,
    });
  };
}
