/**
 * `createWebAppClient`: the authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636, OAuth 2.1
 * §4.1) and OpenID Connect for a server-side web app, plus the refresh, revocation and logout
 * requests. Every check is oauth4webapi's: `state`, `iss` (RFC 9207), the code exchange with the
 * verifier, and the ID token (`iss`, `aud`, `azp`, `nonce`, `exp`/`iat`, and its signature against
 * the issuer's JWKS).
 */
import * as oauth from 'oauth4webapi';
import { createMetadataSource, requireEndpoint } from '../authorization-server.js';
import { type ClientCredential, clientAuthenticationOf } from '../client-authentication.js';
import { TesseraClientError } from '../client-error.js';
import { type Clock, systemClock } from '../clock.js';
import { type FetchLike, httpOptionsFor, parseIssuer } from '../http-options.js';
import { oauthClientOf } from '../oauth-client.js';
import { toClientError } from '../oauth-error.js';
import { type TokenSet, tokenSetOf } from './token-set.js';

/**
 * Options of {@link createWebAppClient}.
 *
 * @example
 * ```ts
 * const options: WebAppClientOptions = {
 *   issuer: 'https://auth.example',
 *   clientId: 'cli_web',
 *   clientSecret: process.env.TESSERA_CLIENT_SECRET ?? '',
 *   redirectUri: 'https://app.example/auth/callback',
 *   scope: 'openid profile offline_access cookies:read',
 * };
 * ```
 */
export type WebAppClientOptions = ClientCredential & {
  issuer: string;
  clientId: string;
  /** Registered exactly at Tessera (exact match, RFC 9700 §4.1.3). */
  redirectUri: string;
  /** Default `openid`. Add `offline_access` to get a refresh token with `openid`. */
  scope?: string | readonly string[];
  /** RFC 8707 resource indicator(s): the API(s) the access token is for. */
  resource?: string | readonly string[];
  /** Where Tessera sends the browser after logout (registered as a post-logout redirect URI). */
  postLogoutRedirectUri?: string;
  clock?: Clock;
  fetch?: FetchLike;
};

/**
 * What must be remembered between the redirect to Tessera and the callback, server-side (in the
 * session, never in a URL): it binds the callback to this browser's request.
 *
 * @example
 * ```ts
 * const { url, transaction } = await webApp.startAuthorization();
 * session.pending = transaction;
 * ```
 */
export interface AuthorizationTransaction {
  /** RFC 6749 §10.12 CSRF protection. */
  state: string;
  /** OIDC Core §3.1.2.1 replay protection for the ID token. */
  nonce: string;
  /** RFC 7636 §4.1: the secret half of PKCE. */
  codeVerifier: string;
  /** The scope requested (an ID token is required when it has `openid`). */
  scope: string[];
  /** Seconds since the epoch (to expire abandoned transactions). */
  createdAt: number;
}

/**
 * Per-request options of {@link WebAppClient.startAuthorization}.
 *
 * @example
 * ```ts
 * await webApp.startAuthorization({ prompt: 'login', loginHint: 'alice' });
 * ```
 */
export interface StartAuthorizationOptions {
  scope?: string | readonly string[];
  /** OIDC Core §3.1.2.1 `prompt` (`login`, `consent`, `none`). */
  prompt?: string;
  loginHint?: string;
  /** Any other authorization request parameters. */
  extraParams?: Record<string, string>;
}

/**
 * A web-app client made by {@link createWebAppClient}.
 *
 * @example
 * ```ts
 * const tokens = await webApp.refresh(stored.refreshToken);
 * ```
 */
export interface WebAppClient {
  /** Builds the authorization URL and the transaction to keep for the callback. */
  startAuthorization(
    options?: StartAuthorizationOptions,
  ): Promise<{ url: URL; transaction: AuthorizationTransaction }>;
  /**
   * Checks the callback (`state`, `iss`, error responses), redeems the code with the PKCE
   * verifier and validates the ID token. Throws {@link TesseraClientError} on any failure.
   */
  handleCallback(callbackUrl: URL | string, transaction: AuthorizationTransaction): Promise<TokenSet>;
  /**
   * One refresh request (RFC 6749 §6). Tessera rotates the refresh token: the returned set holds
   * the new one and the old one is dead. Prefer {@link createTokenRefresher}, which stores it
   * atomically and shares concurrent refreshes. `invalid_grant` becomes `login_required`.
   */
  refresh(refreshToken: string, previous?: TokenSet): Promise<TokenSet>;
  /** RFC 7009: revokes a token (a refresh token revokes its whole grant at Tessera). */
  revoke(token: string, hint?: 'access_token' | 'refresh_token'): Promise<void>;
  /**
   * OIDC RP-Initiated Logout: the URL to send the browser to, or `undefined` when Tessera does
   * not advertise an `end_session_endpoint`.
   */
  endSessionUrl(options?: { idTokenHint?: string; state?: string }): Promise<URL | undefined>;
}

function listOf(value: string | readonly string[] | undefined, fallback: string[]): string[] {
  if (value === undefined) {
    return fallback;
  }
  return typeof value === 'string' ? value.split(' ').filter((s) => s !== '') : [...value];
}

/**
 * Creates a client for a server-side web app (a confidential client).
 *
 * @example
 * ```ts
 * import { createWebAppClient } from '@tessera/client/web-app';
 *
 * const webApp = createWebAppClient({
 *   issuer: 'https://auth.example',
 *   clientId: 'cli_web',
 *   clientSecret: process.env.TESSERA_CLIENT_SECRET ?? '',
 *   redirectUri: 'https://app.example/auth/callback',
 *   scope: 'openid offline_access',
 * });
 * const { url, transaction } = await webApp.startAuthorization();
 * // …redirect to url; on the callback:
 * const tokens = await webApp.handleCallback(request.url, transaction);
 * ```
 */
export function createWebAppClient(options: WebAppClientOptions): WebAppClient {
  const issuer = parseIssuer(options.issuer);
  const clock = options.clock ?? systemClock;
  const http = httpOptionsFor(issuer, options.fetch);
  const metadata = createMetadataSource(issuer, 'oidc', http);
  const clientAuth = clientAuthenticationOf(options);
  const defaultScope = listOf(options.scope, ['openid']);
  const resources = listOf(options.resource, []);
  const client = () => oauthClientOf(options.clientId, clock);

  /** OIDC Core §3.1.3.7: oauth4webapi checked the claims; the signature is checked here too. */
  async function checkIdTokenSignature(
    as: oauth.AuthorizationServer,
    response: Response,
    result: oauth.TokenEndpointResponse,
  ) {
    if (result.id_token !== undefined) {
      await oauth.validateApplicationLevelSignature(as, response, http);
    }
  }

  return {
    async startAuthorization(start = {}) {
      const as = await metadata.get();
      const endpoint = new URL(requireEndpoint(as, 'authorization_endpoint'));
      const codeVerifier = oauth.generateRandomCodeVerifier();
      const transaction: AuthorizationTransaction = {
        state: oauth.generateRandomState(),
        nonce: oauth.generateRandomNonce(),
        codeVerifier,
        scope: listOf(start.scope, defaultScope),
        createdAt: clock.now(),
      };
      const params = endpoint.searchParams;
      params.set('response_type', 'code');
      params.set('client_id', options.clientId);
      params.set('redirect_uri', options.redirectUri);
      params.set('scope', transaction.scope.join(' '));
      params.set('state', transaction.state);
      params.set('nonce', transaction.nonce);
      // RFC 7636 §4.3: S256 only; `plain` would put the verifier in the browser's history.
      params.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
      params.set('code_challenge_method', 'S256');
      for (const resource of resources) {
        params.append('resource', resource);
      }
      if (start.prompt !== undefined) {
        params.set('prompt', start.prompt);
      }
      if (start.loginHint !== undefined) {
        params.set('login_hint', start.loginHint);
      }
      for (const [name, value] of Object.entries(start.extraParams ?? {})) {
        params.set(name, value);
      }
      return { url: endpoint, transaction };
    },

    async handleCallback(callbackUrl, transaction) {
      const as = await metadata.get();
      const url = new URL(callbackUrl);
      let params: URLSearchParams;
      try {
        // RFC 6749 §10.12 `state`; RFC 9207 §2.4 `iss` (Tessera advertises
        // authorization_response_iss_parameter_supported, so a missing or wrong `iss` fails).
        params = oauth.validateAuthResponse(as, client(), url, transaction.state);
      } catch (error) {
        throw error instanceof oauth.AuthorizationResponseError
          ? await toClientError(error, 'Sign-in was not completed')
          : new TesseraClientError(
              'invalid_callback',
              'The sign-in response failed its checks (state or issuer)',
              {
                cause: error,
              },
            );
      }
      const obtainedAt = clock.now();
      try {
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client(),
          clientAuth,
          params,
          options.redirectUri,
          transaction.codeVerifier,
          http,
        );
        const result = await oauth.processAuthorizationCodeResponse(as, client(), response, {
          expectedNonce: transaction.nonce,
          requireIdToken: transaction.scope.includes('openid'),
        });
        await checkIdTokenSignature(as, response, result);
        return tokenSetOf(result, oauth.getValidatedIdTokenClaims(result), obtainedAt);
      } catch (error) {
        throw await toClientError(error, 'The authorization code could not be redeemed');
      }
    },

    async refresh(refreshToken, previous) {
      const as = await metadata.get();
      const obtainedAt = clock.now();
      try {
        const response = await oauth.refreshTokenGrantRequest(as, client(), clientAuth, refreshToken, http);
        const result = await oauth.processRefreshTokenResponse(as, client(), response);
        await checkIdTokenSignature(as, response, result);
        return tokenSetOf(result, oauth.getValidatedIdTokenClaims(result), obtainedAt, previous);
      } catch (error) {
        const wrapped = await toClientError(error, 'The session could not be renewed');
        if (wrapped.code === 'invalid_grant') {
          // RFC 6749 §5.2 invalid_grant: expired, revoked, or reused (RFC 9700 §4.14.2: Tessera
          // then revoked the whole grant). Only a new sign-in helps.
          throw new TesseraClientError(
            'login_required',
            'The refresh token is no longer valid (expired, revoked or already used): sign in again',
            { status: wrapped.status ?? 400, cause: wrapped },
          );
        }
        throw wrapped;
      }
    },

    async revoke(token, hint) {
      const as = await metadata.get();
      try {
        const response = await oauth.revocationRequest(as, client(), clientAuth, token, {
          ...http,
          ...(hint === undefined ? {} : { additionalParameters: { token_type_hint: hint } }),
        });
        await oauth.processRevocationResponse(response);
      } catch (error) {
        throw await toClientError(error, 'The token could not be revoked');
      }
    },

    async endSessionUrl(logout = {}) {
      const as = await metadata.get();
      if (typeof as.end_session_endpoint !== 'string') {
        return undefined;
      }
      const url = new URL(as.end_session_endpoint);
      url.searchParams.set('client_id', options.clientId);
      if (logout.idTokenHint !== undefined) {
        url.searchParams.set('id_token_hint', logout.idTokenHint);
      }
      if (options.postLogoutRedirectUri !== undefined) {
        url.searchParams.set('post_logout_redirect_uri', options.postLogoutRedirectUri);
      }
      if (logout.state !== undefined) {
        url.searchParams.set('state', logout.state);
      }
      return url;
    },
  };
}
