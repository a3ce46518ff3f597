/**
 * The device authorization grant (RFC 8628) for programs without a browser of their own (CLIs,
 * TVs, headless boxes): ask Tessera for a code, let the caller show it, poll the token endpoint
 * at the interval Tessera asks for (5 seconds more after each `slow_down`, §3.5) until the person
 * approves, denies, or the code expires. Runtime-neutral; oauth4webapi builds and checks every
 * message.
 */
import * as oauth from 'oauth4webapi';
import { createMetadataSource, type DiscoveryAlgorithm } from './authorization-server.js';
import { type ClientCredential, clientAuthenticationOf } from './client-authentication.js';
import { TesseraClientError } from './client-error.js';
import { type Clock, systemClock } from './clock.js';
import { type FetchLike, httpOptionsFor, parseIssuer } from './http-options.js';
import { oauthClientOf } from './oauth-client.js';
import { toClientError } from './oauth-error.js';

/**
 * What to show the person (RFC 8628 §3.3): the code and where to enter it.
 *
 * @example
 * ```ts
 * const show = (code: DeviceCode) =>
 *   console.log(`Open ${code.verificationUri} and enter ${code.userCode}`);
 * ```
 */
export interface DeviceCode {
  /** The code to type, e.g. `BCDF-GHJK`. */
  userCode: string;
  verificationUri: string;
  /** The URI with the code in it (for a QR code or a link); the person still confirms there. */
  verificationUriComplete?: string;
  /** Seconds until the code expires. */
  expiresIn: number;
}

/**
 * Tokens from a completed device authorization (RFC 6749 §5.1).
 *
 * @example
 * ```ts
 * const { accessToken, refreshToken } = await deviceAuthorization(options);
 * ```
 */
export interface DeviceTokens {
  accessToken: string;
  tokenType: string;
  expiresIn?: number;
  refreshToken?: string;
  idToken?: string;
  scope?: string;
}

/**
 * Options of {@link deviceAuthorization}.
 *
 * @example
 * ```ts
 * const options: DeviceAuthorizationOptions = {
 *   issuer: 'https://auth.example',
 *   clientId: 'cli_tv',
 *   scope: 'openid offline_access',
 *   onCode: (code) => console.log(`Go to ${code.verificationUri} and enter ${code.userCode}`),
 * };
 * ```
 */
export interface DeviceAuthorizationOptions {
  /** Tessera's issuer identifier (https; http only for localhost/127.0.0.1 in development). */
  issuer: string;
  clientId: string;
  /** A confidential client's credential; omit it for a public client (client_id only, RFC 8628 §3.1). */
  credential?: ClientCredential;
  scope?: string;
  /** RFC 8707 resource indicators. */
  resource?: string | string[];
  /** Called once with the code to show; polling starts when it returns. */
  onCode: (code: DeviceCode) => void | Promise<void>;
  /** Stops waiting and polling; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Which well-known document to read (default `oauth2`). */
  discovery?: DiscoveryAlgorithm;
  fetch?: FetchLike;
  clock?: Clock;
  /** Waits between polls (default: a timer that the signal cancels); tests pass their own. */
  sleep?: (seconds: number, signal?: AbortSignal) => Promise<void>;
}

/** RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default." */
const DEFAULT_INTERVAL = 5;
/** RFC 8628 §3.5: slow_down adds 5 seconds to the interval, for this and every later request. */
const SLOW_DOWN_STEP = 5;

function timerSleep(seconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, seconds * 1000);
    function onAbort() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs the device flow to the end: requests a code, hands it to `onCode`, polls until the person
 * answers. Rejects with a {@link TesseraClientError} whose code is Tessera's (`access_denied`,
 * `expired_token`, …), or with the signal's reason when aborted.
 *
 * @example
 * ```ts
 * import { deviceAuthorization } from '@tessera/client';
 *
 * const tokens = await deviceAuthorization({
 *   issuer: 'https://auth.example',
 *   clientId: 'cli_tv',
 *   scope: 'openid offline_access',
 *   onCode: ({ verificationUri, userCode }) => console.log(`Open ${verificationUri}, enter ${userCode}`),
 *   signal: AbortSignal.timeout(15 * 60_000),
 * });
 * ```
 */
export async function deviceAuthorization(options: DeviceAuthorizationOptions): Promise<DeviceTokens> {
  const issuer = parseIssuer(options.issuer);
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? timerSleep;
  const http = {
    ...httpOptionsFor(issuer, options.fetch),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const as = await createMetadataSource(issuer, options.discovery ?? 'oauth2', http).get();
  if (as.device_authorization_endpoint === undefined) {
    throw new TesseraClientError('discovery_failed', 'The issuer has no device_authorization_endpoint');
  }
  const client = oauthClientOf(options.clientId, clock);
  const auth = options.credential === undefined ? oauth.None() : clientAuthenticationOf(options.credential);
  const parameters = new URLSearchParams();
  if (options.scope !== undefined) {
    parameters.set('scope', options.scope);
  }
  for (const resource of [options.resource ?? []].flat()) {
    parameters.append('resource', resource);
  }

  let started: oauth.DeviceAuthorizationResponse;
  try {
    const response = await oauth.deviceAuthorizationRequest(as, client, auth, parameters, http);
    started = await oauth.processDeviceAuthorizationResponse(as, client, response);
  } catch (error) {
    throw await toClientError(error, 'The device authorization request failed');
  }
  await options.onCode({
    userCode: started.user_code,
    verificationUri: started.verification_uri,
    ...(started.verification_uri_complete === undefined
      ? {}
      : { verificationUriComplete: started.verification_uri_complete }),
    expiresIn: started.expires_in,
  });

  let interval = started.interval ?? DEFAULT_INTERVAL;
  for (;;) {
    await sleep(interval, options.signal);
    options.signal?.throwIfAborted();
    try {
      const response = await oauth.deviceCodeGrantRequest(as, client, auth, started.device_code, http);
      const tokens = await oauth.processDeviceCodeResponse(as, client, response);
      return {
        accessToken: tokens.access_token,
        tokenType: tokens.token_type,
        ...(tokens.expires_in === undefined ? {} : { expiresIn: tokens.expires_in }),
        ...(tokens.refresh_token === undefined ? {} : { refreshToken: tokens.refresh_token }),
        ...(tokens.id_token === undefined ? {} : { idToken: tokens.id_token }),
        ...(tokens.scope === undefined ? {} : { scope: tokens.scope }),
      };
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && error.error === 'authorization_pending') {
        continue;
      }
      if (error instanceof oauth.ResponseBodyError && error.error === 'slow_down') {
        interval += SLOW_DOWN_STEP;
        continue;
      }
      if (options.signal?.aborted === true) {
        throw options.signal.reason;
      }
      throw await toClientError(error, 'The device authorization did not complete');
    }
  }
}
