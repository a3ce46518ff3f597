/**
 * `createTokenClient`: the client credentials grant (RFC 6749 §4.4) for a service calling an API.
 * It caches the access token, renews it shortly before expiry (single flight: concurrent callers
 * share one request), and its `fetch` attaches the token and, when the API answers 401
 * `invalid_token` (RFC 6750 §3.1, e.g. the token was revoked), renews once and retries once.
 * With `dpop`, tokens are DPoP-bound (RFC 9449) to a key the client keeps, and every token
 * request and API call carries a proof; a `use_dpop_nonce` answer is retried once with the nonce.
 * Runtime-neutral: web `fetch` and WebCrypto only.
 */
import * as oauth from 'oauth4webapi';
import { createMetadataSource, type DiscoveryAlgorithm } from './authorization-server.js';
import { isInvalidTokenResponse } from './bearer-challenge.js';
import { type ClientCredential, clientAuthenticationOf } from './client-authentication.js';
import { TesseraClientError } from './client-error.js';
import { type Clock, systemClock } from './clock.js';
import { createDpopSigner, type DpopClientOptions, isDpopNonceResponse, sendWithDpop } from './dpop.js';
import { type FetchLike, httpOptionsFor, parseIssuer } from './http-options.js';
import { oauthClientOf } from './oauth-client.js';
import { toClientError } from './oauth-error.js';
import { DEFAULT_LIFETIME, type RenewalPolicy, renewalTimeOf } from './renewal-policy.js';

/**
 * Options of {@link createTokenClient}: where Tessera is, who the client is, and what to ask for.
 *
 * @example
 * ```ts
 * const options: TokenClientOptions = {
 *   issuer: 'https://auth.example',
 *   clientId: 'cli_reports',
 *   clientSecret: process.env.TESSERA_CLIENT_SECRET ?? '',
 *   scope: ['cookies:read'],
 *   resource: 'https://cookies.example',
 * };
 * ```
 */
export type TokenClientOptions = ClientCredential & {
  /** Tessera's issuer identifier (https; http only for localhost/127.0.0.1 in development). */
  issuer: string;
  clientId: string;
  /** Scopes to request (RFC 6749 §3.3). Default: the client's default scope at Tessera. */
  scope?: string | readonly string[];
  /** The API(s) the token is for (RFC 8707 §2), which become its `aud`. */
  resource?: string | readonly string[];
  /** Seconds before expiry to renew (capped at half the lifetime). Default 60. */
  renewBefore?: number;
  /** Up to this many seconds of random extra earliness (capped at a tenth of the lifetime). Default 30. */
  jitter?: number;
  /** The current time; inject a fixed clock in tests. Default: the system clock. */
  clock?: Clock;
  /** A web `fetch` to use for every request (Tessera's and the API's). Default: `globalThis.fetch`. */
  fetch?: FetchLike;
  /** For tests: a number in [0, 1) that picks the jitter. Default `Math.random`. */
  random?: () => number;
  /** Which metadata document to read. Default `oauth2` (RFC 8414). */
  discovery?: DiscoveryAlgorithm;
  /**
   * RFC 9449: get DPoP-bound tokens and prove possession of the key on every call. `true` makes a
   * non-extractable ES256 key. Default false (Bearer tokens).
   */
  dpop?: boolean | DpopClientOptions;
};

/**
 * A cached access token and what is known about it.
 *
 * @example
 * ```ts
 * const { accessToken, expiresAt } = await client.getTokenInfo();
 * ```
 */
export interface AccessToken {
  accessToken: string;
  /** `bearer` (RFC 6750), or `dpop` for a DPoP-bound token (RFC 9449 §5). */
  tokenType: string;
  /** Seconds since the epoch (the client's clock) at which the token expires. */
  expiresAt: number;
  /** When the client will renew it (before `expiresAt`). */
  renewAt: number;
  /** The granted scope (RFC 6749 §5.1), as returned or as requested. */
  scope: string[];
}

/**
 * Options of {@link TokenClient.getToken}.
 *
 * @example
 * ```ts
 * await client.getToken({ forceRenewal: true });
 * ```
 */
export interface GetTokenOptions {
  /** Ignore the cache and get a new token (still shared with concurrent callers). */
  forceRenewal?: boolean;
}

/**
 * A token client made by {@link createTokenClient}.
 *
 * @example
 * ```ts
 * const response = await client.fetch('https://cookies.example/cookies');
 * ```
 */
export interface TokenClient {
  /** A valid access token: from the cache, or renewed (one request for all concurrent callers). */
  getToken(options?: GetTokenOptions): Promise<string>;
  /** Like {@link TokenClient.getToken} with the token's expiry and scope. */
  getTokenInfo(options?: GetTokenOptions): Promise<AccessToken>;
  /**
   * Web `fetch` with `Authorization: Bearer` added (with `dpop`: `Authorization: DPoP` and a
   * proof). On a 401 `invalid_token` it renews the token once and retries once (a request body is
   * buffered for the retry); on a 401 `use_dpop_nonce` it retries once with the new nonce.
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** The RFC 7638 thumbprint of the DPoP key (`cnf.jkt` of its tokens), or undefined without DPoP. */
  dpopThumbprint(): Promise<string | undefined>;
  /** Forgets the cached token (e.g. after revoking it). */
  clear(): void;
}

function listOf(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) {
    return [];
  }
  return typeof value === 'string' ? value.split(' ').filter((s) => s !== '') : [...value];
}

/**
 * Creates a client credentials token client.
 *
 * @example
 * ```ts
 * import { createTokenClient } from '@tessera/client';
 *
 * const tessera = createTokenClient({
 *   issuer: 'https://auth.example',
 *   clientId: 'cli_reports',
 *   clientSecret: process.env.TESSERA_CLIENT_SECRET ?? '',
 *   scope: 'cookies:read',
 *   resource: 'https://cookies.example',
 * });
 * const response = await tessera.fetch('https://cookies.example/cookies');
 * ```
 */
export function createTokenClient(options: TokenClientOptions): TokenClient {
  const issuer = parseIssuer(options.issuer);
  const clock = options.clock ?? systemClock;
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const http = httpOptionsFor(issuer, options.fetch);
  const metadata = createMetadataSource(issuer, options.discovery ?? 'oauth2', http);
  const clientAuth = clientAuthenticationOf(options);
  const scope = listOf(options.scope);
  const resources = listOf(options.resource);
  const policy: RenewalPolicy = {
    renewBefore: options.renewBefore ?? 60,
    jitter: options.jitter ?? 30,
    random: options.random ?? Math.random,
  };

  const dpop =
    options.dpop === undefined || options.dpop === false
      ? undefined
      : createDpopSigner(options.dpop === true ? {} : options.dpop, clock);

  let current: AccessToken | undefined;
  let inflight: Promise<AccessToken> | undefined;

  async function requestToken(): Promise<AccessToken> {
    const as = await metadata.get();
    const client = oauthClientOf(options.clientId, clock);
    const parameters = new URLSearchParams();
    if (scope.length > 0) {
      parameters.set('scope', scope.join(' '));
    }
    for (const resource of resources) {
      parameters.append('resource', resource);
    }
    const obtainedAt = clock.now();
    let result: oauth.TokenEndpointResponse;
    const requestOptions = dpop === undefined ? http : { ...http, DPoP: await dpop.handle() };
    const attempt = async () =>
      oauth.processClientCredentialsResponse(
        as,
        client,
        await oauth.clientCredentialsGrantRequest(as, client, clientAuth, parameters, requestOptions),
      );
    try {
      try {
        result = await attempt();
      } catch (error) {
        // RFC 9449 §8: the server wants a nonce; the handle kept its DPoP-Nonce. Once.
        if (dpop === undefined || !oauth.isDPoPNonceError(error)) {
          throw error;
        }
        result = await attempt();
      }
    } catch (error) {
      throw await toClientError(error, 'The token request failed');
    }
    const lifetime = result.expires_in ?? DEFAULT_LIFETIME;
    return {
      accessToken: result.access_token,
      tokenType: result.token_type,
      expiresAt: obtainedAt + lifetime,
      renewAt: renewalTimeOf(obtainedAt, lifetime, policy),
      scope: result.scope === undefined ? scope : listOf(result.scope),
    };
  }

  function renew(): Promise<AccessToken> {
    inflight ??= requestToken()
      .then((token) => {
        current = token;
        return token;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  }

  async function getTokenInfo(getOptions: GetTokenOptions = {}): Promise<AccessToken> {
    const cached = current;
    if (cached !== undefined && getOptions.forceRenewal !== true && clock.now() < cached.renewAt) {
      return cached;
    }
    try {
      return await renew();
    } catch (error) {
      // Tessera unreachable during early renewal: the old token is still good until it expires.
      if (cached !== undefined && getOptions.forceRenewal !== true && clock.now() < cached.expiresAt) {
        return cached;
      }
      throw error;
    }
  }

  /** After the API rejected `rejected`: one renewal shared by every caller that saw the rejection. */
  async function renewAfterRejection(rejected: string): Promise<string> {
    if (inflight !== undefined) {
      return (await inflight).accessToken;
    }
    if (current !== undefined && current.accessToken !== rejected && clock.now() < current.renewAt) {
      return current.accessToken;
    }
    return (await renew()).accessToken;
  }

  function send(request: Request, token: string): Promise<Response> {
    const headers = new Headers(request.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetchImpl(new Request(request, { headers }));
  }

  /** RFC 9449 §7 and §9: a proof per attempt, and one retry when the API asks for a nonce. */
  async function sendBound(signer: typeof dpop & object, request: Request, token: string): Promise<Response> {
    const body = request.body === null ? null : await request.clone().arrayBuffer();
    const handle = await signer.handle();
    const response = await sendWithDpop(handle, fetchImpl, request, body, token);
    if (!isDpopNonceResponse(response)) {
      return response;
    }
    await response.body?.cancel();
    return sendWithDpop(handle, fetchImpl, request, body, token);
  }

  return {
    getTokenInfo,
    async getToken(getOptions) {
      return (await getTokenInfo(getOptions)).accessToken;
    },
    async fetch(input, init) {
      const request = new Request(input, init);
      // The retry needs the body again; clone before the first attempt consumes it.
      const retry = request.body === null ? request : request.clone();
      const token = await getTokenInfo();
      const deliver = (what: Request, accessToken: string) =>
        dpop === undefined ? send(what, accessToken) : sendBound(dpop, what, accessToken);
      const response = await deliver(request, token.accessToken);
      if (!isInvalidTokenResponse(response)) {
        return response;
      }
      // RFC 6750 §3.1 invalid_token: expired, revoked or malformed. A new token may help; once.
      await response.body?.cancel();
      let renewed: string;
      try {
        renewed = await renewAfterRejection(token.accessToken);
      } catch (error) {
        throw error instanceof TesseraClientError
          ? error
          : new TesseraClientError('invalid_response', 'Token renewal failed', { cause: error });
      }
      return deliver(retry, renewed);
    },
    async dpopThumbprint() {
      return dpop?.thumbprint();
    },
    clear() {
      current = undefined;
    },
  };
}
