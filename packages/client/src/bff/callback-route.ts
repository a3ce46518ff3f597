/**
 * `GET <callback>`: completes a sign-in. The pending transaction is used once (cleared before it
 * is redeemed), an abandoned one expires, and the signed-in session gets a new id so an id planted
 * before login is worthless (session fixation).
 */
import { TesseraClientError } from '../client-error.js';
import type { Clock } from '../clock.js';
import type { WebAppClient } from '../web-app/web-app-client.js';
import type { BffRequest, BffResponse } from './bff.js';
import { noStore, text } from './bff-response.js';
import type { SessionCookie } from './session-cookie.js';
import type { SessionStore } from './session-store.js';

/** Abandoned sign-ins expire: a callback older than this is refused (draft-ietf-oauth-security-topics §4.7). */
const TRANSACTION_TTL = 600;

/**
 * What {@link createCallbackRoute} needs.
 *
 * @example
 * ```ts
 * const deps: CallbackRouteDeps = { webApp, sessions, cookie, clock, origin: 'https://app.example', onError };
 * ```
 */
export interface CallbackRouteDeps {
  webApp: Pick<WebAppClient, 'handleCallback'>;
  sessions: Pick<SessionStore, 'load' | 'update' | 'create' | 'delete' | 'ttl'>;
  cookie: Pick<SessionCookie, 'read' | 'serialize'>;
  clock: Clock;
  /** The BFF's origin: the callback URL is rebuilt on it. */
  origin: string;
  onError: (error: unknown, context: string) => void;
}

/**
 * Creates the callback route; `url` is the full request URL.
 *
 * @example
 * ```ts
 * const callback = createCallbackRoute({ webApp, sessions, cookie, clock, origin, onError });
 * const response = await callback(request, new URL(request.url, origin)); // 303 to returnTo
 * ```
 */
export function createCallbackRoute(
  deps: CallbackRouteDeps,
): (request: BffRequest, url: URL) => Promise<BffResponse> {
  const { webApp, sessions, cookie, clock, origin, onError } = deps;
  const setCookie = (id: string) => cookie.serialize(id, sessions.ttl);

  return async function callback(request, url) {
    const session = await sessions.load(cookie.read(request.headers.cookie));
    const pending = session?.data.pending;
    if (
      session === undefined ||
      pending === undefined ||
      clock.now() - pending.transaction.createdAt > TRANSACTION_TTL
    ) {
      return text(400, 'This sign-in link has expired or was opened in another browser. Start again.');
    }
    // One transaction, one use: clear it before redeeming.
    const { pending: _used, ...rest } = session.data;
    const cleared = await sessions.update(session, rest);
    if (cleared === undefined) {
      return text(409, 'This sign-in is already being completed. Start again if it does not finish.');
    }
    let tokens: Awaited<ReturnType<WebAppClient['handleCallback']>>;
    try {
      tokens = await webApp.handleCallback(`${origin}${url.pathname}${url.search}`, pending.transaction);
    } catch (error) {
      onError(error, 'callback');
      const denied = error instanceof TesseraClientError && error.code === 'access_denied';
      return text(denied ? 403 : 400, denied ? 'Sign-in was cancelled.' : 'Sign-in failed. Start again.');
    }
    // A new session id after sign-in, so an id planted before login is worthless (session fixation).
    await sessions.delete(session);
    const { id } = await sessions.create({ createdAt: clock.now(), tokens });
    return {
      status: 303,
      headers: noStore({ location: pending.returnTo, 'set-cookie': setCookie(id) }),
    };
  };
}
