/**
 * `createVerifier(options)`: the resource-server side of Tessera, framework-free. It reads the
 * issuer's discovery document, verifies JWT access tokens locally (jose, cached JWKS), opaque
 * tokens and API keys by introspection (cached), keeps a denylist from the revocation stream, and
 * turns every refusal into a {@link VerifyError} that renders as an RFC 6750 §3 challenge.
 */
import { type ApiKeyContextOptions, createApiKeyContext } from './api-key-context.js';
import type { TokenSourceOptions } from './bearer.js';
import {
  type ContinuousAuthentication,
  type ContinuousAuthenticationOptions,
  createContinuousAuthentication,
} from './continuous-authentication.js';
import type { CredentialChangePolicy, defaultCredentialChangePolicy } from './credential-change-policy.js';
import type { VerifierEndpoints } from './discovery.js';
import { createDpopChecker, type DpopOptions } from './dpop.js';
import { createEndpointResolver, type EndpointResolver } from './endpoint-resolver.js';
import { type ClientCredentials, createIntrospector } from './introspection.js';
import { createJwtVerifier } from './jwt.js';
import { createRequestVerification, type RequestVerification } from './request-verification.js';
import { type AuthenticationRequirement, requireAuthentication } from './require-authentication.js';
import { createRevocationGuard } from './revocation-guard.js';
import type { RevocationStreamStatus } from './revocation-stream.js';
import { createTokenCache } from './token-cache.js';
import { createTokenFacts } from './token-facts.js';
import { createTokenVerification } from './token-verification.js';
import { inVerifySpan, isTracing } from './tracing.js';
import type { VerifiedToken } from './verified-token.js';
import { VerifyError } from './verify-error.js';
import type { VerifyInput } from './verify-input.js';

/**
 * Signature algorithms Tessera signs access tokens with (DESIGN §3).
 *
 * @example
 * ```ts
 * createVerifier({ issuer, audience, algorithms: [...DEFAULT_ALGORITHMS, 'PS256'] });
 * ```
 */
export const DEFAULT_ALGORITHMS = ['ES256', 'EdDSA', 'RS256'] as const;

/**
 * Options of {@link createVerifier}. Durations are in seconds, like every time in Tessera.
 *
 * @example
 * ```ts
 * const options: VerifierOptions = {
 *   issuer: 'https://auth.example',
 *   audience: 'https://api.example',
 *   client: { clientId: 'cli_api', clientSecret: process.env.API_CLIENT_SECRET ?? '' },
 *   revocations: { failClosedAfter: 60 },
 * };
 * ```
 */
export interface VerifierOptions {
  /** The issuer, exactly as in its tokens' `iss` and its discovery document. */
  issuer: string;
  /** This API's identifier(s): a token's `aud` must name at least one (RFC 9068 §4). */
  audience: string | readonly string[];
  /** The `realm` of the challenge (RFC 6750 §3). Default: the first audience. */
  realm?: string;
  /**
   * The URL of this API's Protected Resource Metadata document (RFC 9728 §3), named as
   * `resource_metadata` in every `WWW-Authenticate` challenge (§5.1) so a client that meets the API
   * first finds its authorization server. See {@link resourceMetadataUrl} and the adapters'
   * `serveResourceMetadata`.
   */
  resourceMetadataUrl?: string;
  /**
   * The API server's own client at Tessera: needed for opaque tokens and API keys (introspection;
   * permissions `introspect` and `api_keys:verify`) and for the revocation stream
   * (permission `revocations:stream`).
   */
  client?: ClientCredentials;
  /** JWS algorithms accepted (RFC 8725 §3.1). Default ES256, EdDSA, RS256. */
  algorithms?: readonly string[];
  /** Seconds of clock skew tolerated on `exp`/`nbf`. Default 5. */
  clockTolerance?: number;
  /** The current time in seconds; for tests. Default: the system clock. */
  now?: () => number;
  /**
   * RFC 6750 §2.2: accept `access_token` in an `application/x-www-form-urlencoded` body.
   * Default false. Successful responses then carry `Cache-Control: private`.
   */
  allowBodyToken?: boolean;
  /**
   * RFC 6750 §2.3: accept `access_token` in the URL query. Default false: URLs are written to access
   * logs, proxies and browser history, so a token there leaks. Responses then carry
   * `Cache-Control: private`.
   */
  allowQueryToken?: boolean;
  /** Header that carries a Tessera API key (`tsr_key_…`), or false. Default `X-API-Key`. */
  apiKeyHeader?: string | false;
  /**
   * Tell Tessera where each API key is used — the caller's address and the route (`client_ip`,
   * `endpoint`) — for the key's anomaly policy (a new network, country or endpoint, a rate beyond
   * its own). `true` takes both from the adapter's request view. Such uses are not answered from
   * the cache: each one is checked at Tessera. Default off.
   */
  apiKeyContext?: true | ApiKeyContextOptions;
  cache?: {
    /** Verified tokens kept (least recently used out first). Default 10 000; 0 disables the cache. */
    maxEntries?: number;
    /** Seconds an introspection answer is reused (never past the token's `exp`). Default 30. */
    introspectionTtl?: number;
  };
  jwks?: {
    /** Seconds after a JWKS fetch during which an unknown `kid` does not trigger another. Default 30. */
    cooldown?: number;
    /** Seconds a JWKS is used before it is refetched anyway. Default 600. */
    maxAge?: number;
  };
  /** Seconds before a request to the issuer is abandoned. Default 5. */
  timeout?: number;
  /**
   * The revocation stream (needs `client`). `false` turns it off: revoked JWTs then stay valid
   * until they expire.
   */
  revocations?:
    | false
    | {
        /**
         * Seconds the stream may be out of sync before every request is refused with 503
         * (`temporarily_unavailable`). Default: never (fail open, and report it in `status()`).
         */
        failClosedAfter?: number;
        /** Seconds before the first reconnect attempt; doubles up to `maxReconnectDelay`. Default 0.25. */
        minReconnectDelay?: number;
        /** Default 30. */
        maxReconnectDelay?: number;
        /** Seconds without an event or heartbeat after which the connection counts as lost. Default 45. */
        idleTimeout?: number;
      };
  /**
   * DPoP-bound tokens (RFC 9449 §7): accepted with the `DPoP` scheme and a proof by default; a
   * bound token sent as Bearer is always refused. `false` refuses every bound token.
   */
  dpop?: false | DpopOptions;
  /** Skip discovery for these endpoints (e.g. a JWKS behind a private URL). */
  endpoints?: Partial<VerifierEndpoints>;
  /** The fetch implementation. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /**
   * Continuous authentication (docs/risk.md): compare each request's network and client with the
   * issuance context of the token (`tctx`) and allow, flag or refuse; needs `@tessera/risk`.
   */
  continuousAuthentication?: ContinuousAuthenticationOptions;
  /**
   * OpenID CAEP `credential-change` (needs the revocation stream): what a token gets when its
   * subject changed a credential after the sign-in it comes from (`auth_time`, else `iat`).
   * `'ignore'`, `'step_up'` (401 `insufficient_user_authentication` with `max_age`), `'revoke'` (401
   * `invalid_token`), or a function of the change and the token. Default
   * {@link defaultCredentialChangePolicy}: password changed → revoke; passkey or authenticator app
   * removed → step_up; anything else → ignore.
   */
  onCredentialChange?: CredentialChangePolicy;
  /** Told about background failures (discovery, revocation stream); the verifier keeps going. */
  onError?: (error: unknown) => void;
}

/**
 * Per-call options of {@link Verifier.verify}.
 *
 * @example
 * ```ts
 * await verifier.verify(request, { scope: ['cookies:read', 'cookies:eat'] });
 * ```
 */
export interface VerifyOptions {
  /** Scopes the token must grant (all of them), else `insufficient_scope`. */
  scope?: string | readonly string[];
  /**
   * The sign-in the token must come from (RFC 9470): an `acr` and/or a `max_age`, else
   * `insufficient_user_authentication` (401) with `acr_values` / `max_age` in the challenge.
   */
  authentication?: AuthenticationRequirement;
}

/**
 * What `verifier.status()` reports.
 *
 * @example
 * ```ts
 * const { revocations, cache } = verifier.status();
 * if (revocations.state !== 'connected') console.warn('revocations are not being received');
 * ```
 */
export interface VerifierStatus {
  discovery: 'pending' | 'ready' | 'failed';
  revocations: RevocationStreamStatus & {
    /** Revocations currently in force. */
    denylistSize: number;
    /** True while requests are refused because the stream has been down too long. */
    failingClosed: boolean;
  };
  cache: { size: number; max: number };
}

export type { VerifyInput } from './verify-input.js';

/**
 * A verifier; create one per process and share it.
 *
 * @example
 * ```ts
 * const token = await verifier.verify(request, { scope: 'cookies:read' });
 * ```
 */
export interface Verifier {
  /**
   * Verifies the credential a request carries. Resolves with the token, or rejects with a
   * {@link VerifyError} (`invalid_request` 400, `invalid_token` 401, `insufficient_scope` 403,
   * `temporarily_unavailable` 503).
   */
  verify(input: VerifyInput, options?: VerifyOptions): Promise<VerifiedToken>;
  /** Resolves once discovery is done and, when enabled, the revocation stream is in sync. */
  ready(): Promise<void>;
  status(): VerifierStatus;
  /** Stops the revocation stream; verify keeps working on what it knows. */
  close(): Promise<void>;
  readonly realm: string;
  /** The token sources in force (adapters read it). */
  readonly sources: Readonly<TokenSourceOptions>;
}

function systemNow(): number {
  return Math.floor(Date.now() / 1000);
}

function seconds(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;
}

/**
 * Creates a verifier. It starts discovery and the revocation stream in the background at once;
 * `await verifier.ready()` before serving if you want them settled first.
 *
 * @example
 * ```ts
 * import { createVerifier } from '@tessera/verify';
 *
 * const verifier = createVerifier({
 *   issuer: 'http://localhost:4000',
 *   audience: 'http://localhost:3000',
 *   client: { clientId: process.env.CLIENT_ID ?? '', clientSecret: process.env.CLIENT_SECRET ?? '' },
 * });
 * await verifier.ready();
 * const token = await verifier.verify(`Bearer ${accessToken}`, { scope: 'cookies:read' });
 * console.log(token.subject, token.scope);
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const audience = typeof options.audience === 'string' ? [options.audience] : [...options.audience];
  const [firstAudience] = audience;
  if (firstAudience === undefined) {
    throw new TypeError('createVerifier: audience is required');
  }
  if (!URL.canParse(options.issuer)) {
    throw new TypeError('createVerifier: issuer must be a URL');
  }
  const realm = options.realm ?? firstAudience;
  const now = options.now ?? systemNow;
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timeoutMs = seconds(options.timeout, 5) * 1000;
  const sources: TokenSourceOptions = Object.freeze({
    body: options.allowBodyToken === true,
    query: options.allowQueryToken === true,
    apiKeyHeader:
      options.apiKeyHeader === false ? false : (options.apiKeyHeader ?? 'x-api-key').toLowerCase(),
  });
  const revocationOptions = options.revocations === false ? undefined : (options.revocations ?? {});

  const resolver = createEndpointResolver({
    issuer: options.issuer,
    endpoints: options.endpoints,
    fetch: fetchImpl,
    timeoutMs,
    onError: options.onError,
  });
  const endpoints = resolver.endpoints;
  const cache = createTokenCache({ max: options.cache?.maxEntries ?? 10_000 });

  const guard = createRevocationGuard({
    stream:
      revocationOptions === undefined
        ? undefined
        : {
            failClosedAfter: revocationOptions.failClosedAfter,
            minDelayMs: seconds(revocationOptions.minReconnectDelay, 0.25) * 1000,
            maxDelayMs: seconds(revocationOptions.maxReconnectDelay, 30) * 1000,
            idleTimeoutMs: seconds(revocationOptions.idleTimeout, 45) * 1000,
          },
    client: options.client,
    endpoint: async () => (await endpoints()).revocationStreamEndpoint,
    fetch: fetchImpl,
    now,
    cache,
    onCredentialChange: options.onCredentialChange,
    onError: options.onError,
  });
  const verification = verificationOf(options, {
    audience,
    timeoutMs,
    fetch: fetchImpl,
    endpoints,
    changeMark: guard.changeMark,
  });
  if (!guard.streaming) {
    // Start discovery now so the first request does not pay for it.
    endpoints().catch(() => {});
  }

  const dpop = options.dpop === false ? undefined : createDpopChecker(options.dpop ?? {});
  const requests = createRequestVerification({
    realm,
    sources,
    now,
    cache,
    guard,
    verification,
    dpop,
    apiKeyContextOf: apiKeyContextOf(options),
  });
  const continuous =
    options.continuousAuthentication === undefined
      ? undefined
      : createContinuousAuthentication({
          options: options.continuousAuthentication,
          issuer: options.issuer,
          realm,
          sources,
          client: options.client,
          fetch: fetchImpl,
          onError: options.onError,
        });

  return {
    realm,
    sources,
    verify: verifyWith({
      requests,
      continuous,
      now,
      realm,
      resourceMetadataUrl: options.resourceMetadataUrl,
    }),
    async ready() {
      await endpoints();
      await guard.ready();
    },
    status() {
      const at = now();
      return {
        discovery: resolver.state(),
        revocations: guard.status(at),
        cache: { size: cache.size, max: cache.max },
      };
    },
    async close() {
      await continuous?.close();
      await guard.close();
    },
  };
}

/**
 * `verifier.verify`: a token seen before, with no span or context check to make, is answered
 * synchronously from the cache; anything else goes the whole way, in a span.
 */
function verifyWith(deps: {
  requests: RequestVerification;
  continuous: ContinuousAuthentication | undefined;
  now: () => number;
  realm: string;
  resourceMetadataUrl: string | undefined;
}): Verifier['verify'] {
  const { requests, continuous, now, realm } = deps;
  return (input, verifyOptions) => {
    const seen =
      continuous === undefined && !isTracing()
        ? requests.seen(input, verifyOptions?.scope, verifyOptions?.authentication)
        : undefined;
    if (seen !== undefined) {
      return Promise.resolve(seen);
    }
    return inVerifySpan(async () => {
      try {
        const verified = await requests.verify(input, verifyOptions?.scope);
        const token = continuous === undefined ? verified : await continuous.check(input, verified);
        if (verifyOptions?.authentication !== undefined) {
          requireAuthentication(token, verifyOptions.authentication, now());
        }
        return token;
      } catch (error) {
        throw VerifyError.from(error, realm).withResourceMetadata(deps.resourceMetadataUrl);
      }
    });
  };
}

/** Where API keys are used, when the verifier is to tell Tessera (`apiKeyContext`). */
function apiKeyContextOf(options: VerifierOptions) {
  return options.apiKeyContext === undefined ? undefined : createApiKeyContext(options.apiKeyContext);
}

/** The token checks behind {@link createVerifier}: local JWT verification and introspection. */
function verificationOf(
  options: VerifierOptions,
  context: {
    audience: string[];
    timeoutMs: number;
    fetch: typeof fetch;
    endpoints: EndpointResolver['endpoints'];
    changeMark: () => number;
  },
) {
  const { audience, timeoutMs, endpoints } = context;
  const clockTolerance = seconds(options.clockTolerance, 5);
  const fetchImpl = context.fetch;
  const introspectionTtl = seconds(options.cache?.introspectionTtl, 30);
  const jwt = createJwtVerifier({
    issuer: options.issuer,
    audience,
    algorithms: options.algorithms ?? DEFAULT_ALGORITHMS,
    clockTolerance,
    jwksUri: async () => (await endpoints()).jwksUri,
    cooldownMs: seconds(options.jwks?.cooldown, 30) * 1000,
    cacheMaxAgeMs: seconds(options.jwks?.maxAge, 600) * 1000,
    timeoutMs,
    fetch: options.fetch,
  });
  const introspector = createIntrospector({
    endpoint: async () => (await endpoints()).introspectionEndpoint,
    client: options.client,
    fetch: fetchImpl,
    timeoutMs,
  });
  const verification = createTokenVerification({
    jwt,
    introspector,
    facts: createTokenFacts({ issuer: options.issuer, audience, clockTolerance, introspectionTtl }),
    changeMark: context.changeMark,
  });
  return verification;
}
