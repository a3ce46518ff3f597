/**
 * The oauth4webapi `Client` record for a client id, with oauth4webapi's notion of "now" kept on
 * the injected clock (its `clockSkew`), so ID-token `iat`/`exp` checks agree with the clock the
 * application and its tests use.
 */
import * as oauth from 'oauth4webapi';
import type { Clock } from './clock.js';

/**
 * Builds the oauth4webapi client metadata for one request.
 *
 * @example
 * ```ts
 * const client = oauthClientOf('cli_app', systemClock);
 * await oauth.processAuthorizationCodeResponse(as, client, response);
 * ```
 */
export function oauthClientOf(clientId: string, clock: Clock): oauth.Client {
  return { client_id: clientId, [oauth.clockSkew]: clock.now() - Math.floor(Date.now() / 1000) };
}
