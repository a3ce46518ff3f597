/**
 * `@tessera/client`: tokens on the application side.
 *
 * Subpath exports:
 * - `@tessera/client` (this module): {@link createTokenClient} for services (client credentials,
 *   caching, early renewal, single flight, retry on `invalid_token`). Runtime-neutral: Node 20 and
 *   any runtime with web `fetch` and WebCrypto.
 * - `@tessera/client/web-app`: server-side web apps: authorization code + PKCE, callback checks,
 *   refresh-token rotation with an atomic `TokenStore`. Runtime-neutral.
 * - {@link deviceAuthorization} (in this module): the device flow (RFC 8628) for CLIs and devices
 *   without a browser: show a code, poll until the person approves.
 * - `@tessera/client/bff`: a backend-for-frontend that keeps every token server-side in an
 *   encrypted session store (Node only), with `@tessera/client/bff/express` and
 *   `@tessera/client/bff/fastify` adapters.
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
 * });
 * const cookies = await (await tessera.fetch('https://cookies.example/cookies')).json();
 * ```
 *
 * @packageDocumentation
 */
export {
  createMetadataSource,
  type DiscoveryAlgorithm,
  type MetadataSource,
} from './authorization-server.js';
export {
  type Challenge,
  isAcrValues,
  isInvalidTokenResponse,
  parseChallenges,
  type StepUpChallenge,
  stepUpChallengeOf,
} from './bearer-challenge.js';
export type { ClientCredential } from './client-authentication.js';
export { type ClientErrorCode, TesseraClientError, type TesseraClientErrorOptions } from './client-error.js';
export { type Clock, systemClock } from './clock.js';
export {
  type DeviceAuthorizationOptions,
  type DeviceCode,
  type DeviceTokens,
  deviceAuthorization,
} from './device-authorization.js';
export type { DpopClientOptions } from './dpop.js';
export { type FetchLike, isLoopbackHttp } from './http-options.js';
export { type RenewalPolicy, renewalTimeOf } from './renewal-policy.js';
export { createSingleFlight, type SingleFlight } from './single-flight.js';
export {
  type AccessToken,
  createTokenClient,
  type GetTokenOptions,
  type TokenClient,
  type TokenClientOptions,
} from './token-client.js';
