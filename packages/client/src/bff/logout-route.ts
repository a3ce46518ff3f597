/**
 * `POST <logout>`: same-origin only (a cross-site form cannot sign a person out). Deletes the
 * session, revokes its tokens at Tessera (RFC 7009) and sends the browser to Tessera's end-session
 * endpoint when it has one, else to the post-logout page. Failures at Tessera are reported to
 * `onError` and never keep the person signed in here.
 */
import type { WebAppClient } from '../web-app/web-app-client.js';
import type { BffRequest, BffResponse } from './bff.js';
import { noStore, text } from './bff-response.js';
import { isSameOrigin } from './csrf.js';
import type { SessionCookie } from './session-cookie.js';
import type { SessionStore } from './session-store.js';

/**
 * What {@link createLogoutRoute} needs.
 *
 * @example
 * ```ts
 * const deps: LogoutRouteDeps = { webApp, sessions, cookie, origin: 'https://app.example', postLogoutRedirectUri: 'https://app.example/', onError };
 * ```
 */
export interface LogoutRouteDeps {
  webApp: Pick<WebAppClient, 'revoke' | 'endSessionUrl'>;
  sessions: Pick<SessionStore, 'load' | 'delete'>;
  cookie: Pick<SessionCookie, 'read' | 'clear'>;
  /** The BFF's origin: a logout from any other is refused. */
  origin: string;
  /** Where the browser lands when Tessera has no end-session endpoint. */
  postLogoutRedirectUri: string;
  onError: (error: unknown, context: string) => void;
}

/**
 * Creates the logout route.
 *
 * @example
 * ```ts
 * const logout = createLogoutRoute({ webApp, sessions, cookie, origin, postLogoutRedirectUri, onError });
 * const response = await logout(request); // 303, session cookie cleared
 * ```
 */
export function createLogoutRoute(deps: LogoutRouteDeps): (request: BffRequest) => Promise<BffResponse> {
  const { webApp, sessions, cookie, origin, onError } = deps;

  return async function logout(request) {
    if (!isSameOrigin(request.headers, origin)) {
      return text(403, 'Cross-site request refused.');
    }
    const session = await sessions.load(cookie.read(request.headers.cookie));
    const tokens = session?.data.tokens;
    let location = deps.postLogoutRedirectUri;
    if (session !== undefined) {
      await sessions.delete(session);
    }
    if (tokens !== undefined) {
      // RFC 7009 §2: revoking the refresh token ends the grant (and its access tokens at Tessera).
      const revocations = [
        ...(tokens.refreshToken === undefined ? [] : [webApp.revoke(tokens.refreshToken, 'refresh_token')]),
        webApp.revoke(tokens.accessToken, 'access_token'),
      ];
      for (const result of await Promise.allSettled(revocations)) {
        if (result.status === 'rejected') {
          onError(result.reason, 'logout revocation');
        }
      }
      try {
        const endSession = await webApp.endSessionUrl(
          tokens.idToken === undefined ? {} : { idTokenHint: tokens.idToken },
        );
        if (endSession !== undefined) {
          location = endSession.toString();
        }
      } catch (error) {
        onError(error, 'logout end-session');
      }
    }
    return { status: 303, headers: noStore({ location, 'set-cookie': cookie.clear() }) };
  };
}
