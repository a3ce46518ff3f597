/**
 * `createTokenRefresher`: a valid access token for a session, renewing it with the refresh token
 * when due, safely under concurrency:
 * - single flight per session key: two requests of one session that both find the token stale
 *   cause ONE refresh request (a second one would present a refresh token that was just rotated
 *   away, which Tessera treats as theft and answers by revoking the whole grant, RFC 9700 §4.14.2);
 * - the new tokens are written with compare-and-swap, so a slower writer never overwrites them;
 * - before refreshing it re-reads the store, so tokens refreshed by another process are used;
 * - a refresh refused with `invalid_grant` (expired, revoked, reused) deletes the stored tokens and
 *   throws `login_required`: the user has to sign in again.
 */
import { TesseraClientError } from '../client-error.js';
import { type Clock, systemClock } from '../clock.js';
import { createSingleFlight } from '../single-flight.js';
import { isFresh, type TokenSet } from './token-set.js';
import type { TokenStore } from './token-store.js';
import type { WebAppClient } from './web-app-client.js';

/**
 * Options of {@link createTokenRefresher}.
 *
 * @example
 * ```ts
 * const options: TokenRefresherOptions = { client: webApp, store: createMemoryTokenStore(), renewBefore: 30 };
 * ```
 */
export interface TokenRefresherOptions {
  client: Pick<WebAppClient, 'refresh'>;
  store: TokenStore;
  /** Refresh this many seconds before the access token expires. Default 30. */
  renewBefore?: number;
  clock?: Clock;
}

/**
 * Options of {@link TokenRefresher.getTokens}.
 *
 * @example
 * ```ts
 * await refresher.getTokens(sessionId, { rejected: accessToken }); // the API said invalid_token
 * ```
 */
export interface GetTokensOptions {
  /** An access token an API just refused: renew unless it has already been replaced. */
  rejected?: string;
}

/**
 * Made by {@link createTokenRefresher}.
 *
 * @example
 * ```ts
 * const { accessToken } = await refresher.getTokens(sessionId);
 * ```
 */
export interface TokenRefresher {
  /** The session's tokens with a usable access token; throws `login_required` when none can be had. */
  getTokens(key: string, options?: GetTokensOptions): Promise<TokenSet>;
}

/**
 * Creates a {@link TokenRefresher}.
 *
 * @example
 * ```ts
 * import { createMemoryTokenStore, createTokenRefresher, createWebAppClient } from '@tessera/client/web-app';
 *
 * const refresher = createTokenRefresher({ client: webApp, store: createMemoryTokenStore() });
 * const { accessToken } = await refresher.getTokens(request.session.id);
 * ```
 */
export function createTokenRefresher(options: TokenRefresherOptions): TokenRefresher {
  const clock = options.clock ?? systemClock;
  const renewBefore = options.renewBefore ?? 30;
  const flights = createSingleFlight<string, TokenSet>();
  const { store } = options;

  function needsRenewal(tokens: TokenSet, rejected: string | undefined): boolean {
    return tokens.accessToken === rejected || !isFresh(tokens, clock, renewBefore);
  }

  async function refresh(key: string, rejected: string | undefined): Promise<TokenSet> {
    // Re-read inside the flight: another process, or a flight that just ended, may have renewed.
    const stored = await store.get(key);
    if (stored === undefined) {
      throw new TesseraClientError('login_required', 'No tokens for this session: sign in');
    }
    if (!needsRenewal(stored.tokens, rejected)) {
      return stored.tokens;
    }
    const refreshToken = stored.tokens.refreshToken;
    if (refreshToken === undefined) {
      throw new TesseraClientError(
        'login_required',
        'The access token expired and there is no refresh token: sign in again',
      );
    }
    let next: TokenSet;
    try {
      next = await options.client.refresh(refreshToken, stored.tokens);
    } catch (error) {
      if (error instanceof TesseraClientError && error.reloginRequired) {
        await store.delete(key);
      }
      throw error;
    }
    const swapped = await store.compareAndSwap(key, stored.version, next);
    if (swapped === undefined) {
      // Someone else wrote in between (another process, or a logout). Their record wins; our
      // tokens are still good for this one call, and we never overwrite a newer refresh token.
      const current = await store.get(key);
      if (current === undefined) {
        throw new TesseraClientError('login_required', 'The session ended while it was being renewed');
      }
      return needsRenewal(current.tokens, rejected) ? next : current.tokens;
    }
    return swapped.tokens;
  }

  return {
    async getTokens(key, getOptions = {}) {
      const stored = await store.get(key);
      if (stored !== undefined && !needsRenewal(stored.tokens, getOptions.rejected)) {
        return stored.tokens;
      }
      // A caller that arrives while a refresh runs joins it: that refresh replaces `rejected` too.
      return flights.run(key, () => refresh(key, getOptions.rejected));
    },
  };
}
