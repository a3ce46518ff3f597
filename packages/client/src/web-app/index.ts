/**
 * `@tessera/client/web-app`: server-side web apps signing users in through Tessera with the
 * authorization code flow + PKCE and OpenID Connect, and keeping their tokens fresh with
 * refresh-token rotation. Runtime-neutral (web `fetch`, WebCrypto).
 *
 * @example
 * ```ts
 * import { createMemoryTokenStore, createTokenRefresher, createWebAppClient } from '@tessera/client/web-app';
 *
 * const webApp = createWebAppClient({ issuer, clientId, clientSecret, redirectUri, scope: 'openid offline_access' });
 * const refresher = createTokenRefresher({ client: webApp, store: createMemoryTokenStore() });
 * ```
 *
 * @packageDocumentation
 */
export {
  createTokenRefresher,
  type GetTokensOptions,
  type TokenRefresher,
  type TokenRefresherOptions,
} from './token-refresher.js';
export { isFresh, type TokenSet, tokenSetOf } from './token-set.js';
export { createMemoryTokenStore, type StoredTokens, type TokenStore } from './token-store.js';
export {
  type AuthorizationTransaction,
  createWebAppClient,
  type StartAuthorizationOptions,
  type WebAppClient,
  type WebAppClientOptions,
} from './web-app-client.js';
