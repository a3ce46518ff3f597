/**
 * `createVerifier(options)`: the resource-server side of Tessera, framework-free. It reads the
 * issuer's discovery document, verifies JWT access tokens locally (jose, cached JWKS), opaque
 * tokens and API keys by introspection (cached), keeps a denylist from the revocation stream, and
 * turns every refusal into a {@link VerifyError} that renders as an RFC 6750 §3 challenge.
 */
import { type IntrospectionResponse, OAuthError, parseScope, parseSecret } from '@tessera/protocol';
import { decodeProtectedHeader } from 'jose';
import {
  type ExtractedToken,
  extractToken,
  parseAuthorizationHeader,
  type RequestView,
  requestViewOf,
  type TokenSourceOptions,
} from './bearer.js';
import { createDenylist } from './denylist.js';
import { discoverEndpoints, type VerifierEndpoints } from './discovery.js';
import { type ClientCredentials, createIntrospector } from './introspection.js';
import { type AccessTokenPayload, createJwtVerifier } from './jwt.js';
import { requireScope } from './require-scope.js';
import {
  createRevocationStream,
  type RevocationStream,
  type RevocationStreamStatus,
} from './revocation-stream.js';
import { createTokenCache } from './token-cache.js';
import { hashToken, hashTokenSync } from './token-hash.js';
import type { TokenFacts, VerifiedToken } from './verified-token.js';
import { VerifyError } from './verify-error.js';

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
  cache?: {
    /** Verified tokens kept (LRU). Default 10 000; 0 disables the cache. */
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
  /** Skip discovery for these endpoints (e.g. a JWKS behind a private URL). */
  endpoints?: Partial<VerifierEndpoints>;
  /** The fetch implementation. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
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

/**
 * What `verify` accepts: a web `Request`, a {@link RequestView}, or an `Authorization` header value.
 *
 * @example
 * ```ts
 * await verifier.verify(request); // Request
 * await verifier.verify('Bearer eyJ…'); // header value
 * ```
 */
export type VerifyInput = Request | RequestView | string | undefined;

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

function isWebRequest(value: unknown): value is Request {
  return typeof Request !== 'undefined' && value instanceof Request;
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
  const clockTolerance = seconds(options.clockTolerance, 5);
  const introspectionTtl = seconds(options.cache?.introspectionTtl, 30);
  const sources: TokenSourceOptions = Object.freeze({
    body: options.allowBodyToken === true,
    query: options.allowQueryToken === true,
    apiKeyHeader:
      options.apiKeyHeader === false ? false : (options.apiKeyHeader ?? 'x-api-key').toLowerCase(),
  });
  const revocationOptions = options.revocations === false ? undefined : (options.revocations ?? {});
  const failClosedAfter = revocationOptions?.failClosedAfter;

  let discoveryState: VerifierStatus['discovery'] = 'pending';
  let discovered: Promise<VerifierEndpoints> | undefined;
  function endpoints(): Promise<VerifierEndpoints> {
    if (discovered === undefined) {
      const given = options.endpoints;
      const pending =
        given?.jwksUri !== undefined
          ? Promise.resolve({
              jwksUri: given.jwksUri,
              introspectionEndpoint: given.introspectionEndpoint,
              revocationStreamEndpoint: given.revocationStreamEndpoint,
            })
          : discoverEndpoints({ issuer: options.issuer, fetch: fetchImpl, timeoutMs }).then((found) => ({
              ...found,
              ...given,
            }));
      discovered = pending;
      pending.then(
        () => {
          discoveryState = 'ready';
        },
        (error: unknown) => {
          discoveryState = 'failed';
          // Retry on the next call rather than remember the failure.
          if (discovered === pending) {
            discovered = undefined;
          }
          options.onError?.(error);
        },
      );
    }
    return discovered;
  }

  const cache = createTokenCache({ max: options.cache?.maxEntries ?? 10_000 });
  const denylist = createDenylist();
  const pending = new Map<string, Promise<TokenFacts>>();
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

  let stream: RevocationStream | undefined;
  if (revocationOptions !== undefined && options.client !== undefined) {
    stream = createRevocationStream({
      endpoint: async () => (await endpoints()).revocationStreamEndpoint,
      client: options.client,
      fetch: fetchImpl,
      now,
      minDelayMs: seconds(revocationOptions.minReconnectDelay, 0.25) * 1000,
      maxDelayMs: seconds(revocationOptions.maxReconnectDelay, 30) * 1000,
      idleTimeoutMs: seconds(revocationOptions.idleTimeout, 45) * 1000,
      onEvent(event) {
        const at = now();
        if (denylist.add(event, at)) {
          cache.evict((facts) => denylist.covers(event, facts));
        }
        if (denylist.size > 0 && event.id % 256 === 0) {
          denylist.prune(at);
        }
      },
      onError: options.onError,
    });
    stream.start();
  } else {
    // Start discovery now so the first request does not pay for it.
    endpoints().catch(() => {});
  }

  function isFailingClosed(at: number): boolean {
    if (failClosedAfter === undefined || stream === undefined) {
      return false;
    }
    const downSince = stream.downSince();
    return downSince !== undefined && at - downSince > failClosedAfter;
  }

  function factsOfJwt(hash: string, payload: AccessTokenPayload): TokenFacts {
    return {
      hash,
      result: Object.freeze({
        tokenType: 'jwt' as const,
        subject: payload.sub,
        clientId: payload.client_id,
        scope: Object.freeze(parseScope(payload.scope)),
        claims: Object.freeze({ ...payload }),
        expiresAt: payload.exp,
      }),
      jti: payload.jti,
      keyId: undefined,
      // Tessera names the grant (refresh-token family) in `gid`, so a family revocation reaches it.
      grantId: stringOf(payload.gid),
      sessionId: stringOf(payload.sid),
      issuedAt: payload.iat,
      cacheUntil: payload.exp + clockTolerance,
      views: {},
    };
  }

  function factsOfIntrospection(
    hash: string,
    kind: 'opaque' | 'api_key',
    answer: IntrospectionResponse,
    at: number,
  ): TokenFacts {
    const what = kind === 'api_key' ? 'API key' : 'access token';
    if (!answer.active) {
      throw OAuthError.invalidToken(`The ${what} is not active`);
    }
    if (answer.iss !== undefined && answer.iss !== options.issuer) {
      throw OAuthError.invalidToken(`The ${what} was issued by another issuer`);
    }
    const aud = answer.aud === undefined ? [] : typeof answer.aud === 'string' ? [answer.aud] : answer.aud;
    // RFC 9068 §4 applies the audience rule to JWTs; we hold opaque tokens to it too. An API key
    // without audiences is valid for any API of its owner.
    if ((kind === 'opaque' || aud.length > 0) && !aud.some((value) => audience.includes(value))) {
      throw OAuthError.invalidToken(`The ${what} is not meant for this API`);
    }
    if (answer.exp !== undefined && answer.exp <= at - clockTolerance) {
      throw OAuthError.invalidToken(`The ${what} has expired`);
    }
    const keyId = kind === 'api_key' ? (stringOf(answer.key_id) ?? stringOf(answer.jti)) : undefined;
    return {
      hash,
      result: Object.freeze({
        tokenType: kind,
        subject: stringOf(answer.sub) ?? '',
        clientId: stringOf(answer.client_id) ?? '',
        scope: Object.freeze(parseScope(answer.scope)),
        claims: Object.freeze({ ...answer }),
        expiresAt: answer.exp,
      }),
      jti: stringOf(answer.jti),
      keyId,
      grantId: stringOf(answer.grant_id),
      sessionId: stringOf(answer.sid),
      issuedAt: answer.iat,
      cacheUntil: Math.min(at + introspectionTtl, answer.exp ?? Number.POSITIVE_INFINITY),
      views: {},
    };
  }

  async function verifyUncached(found: ExtractedToken, hash: string, at: number): Promise<TokenFacts> {
    const { token, source } = found;
    if (token.startsWith('tsr_')) {
      const parsed = parseSecret(token);
      if (parsed === undefined) {
        throw OAuthError.invalidToken('The token is malformed');
      }
      if (parsed.kind !== 'at' && parsed.kind !== 'key') {
        throw OAuthError.invalidToken('The token is not an access token or an API key');
      }
      if (source === 'api_key_header' && parsed.kind !== 'key') {
        throw OAuthError.invalidToken('The API key header carries something other than an API key');
      }
      const kind = parsed.kind === 'key' ? 'api_key' : 'opaque';
      const answer = await introspector.introspect(token, kind === 'opaque' ? 'access_token' : undefined);
      return factsOfIntrospection(hash, kind, answer, at);
    }
    if (source === 'api_key_header') {
      throw OAuthError.invalidToken('The API key header carries something other than an API key');
    }
    const facts = factsOfJwt(hash, await jwt.verify(token, at));
    // A pulled signing key's tokens are refused even when its JWKS entry is still cached here.
    facts.signingKeyId = signingKeyIdOf(token);
    return facts;
  }

  /** Coalesces concurrent verifications of one token into a single signature check or call. */
  function verifyOnce(found: ExtractedToken, hash: string, at: number): Promise<TokenFacts> {
    const key = `${found.source === 'api_key_header' ? 'k' : 't'}${hash}`;
    let promise = pending.get(key);
    if (promise === undefined) {
      promise = verifyUncached(found, hash, at).finally(() => pending.delete(key));
      pending.set(key, promise);
    }
    return promise;
  }

  async function extract(input: VerifyInput): Promise<ExtractedToken | undefined> {
    if (typeof input === 'string') {
      const token = parseAuthorizationHeader(input);
      return token === undefined ? undefined : { token, source: 'header' };
    }
    if (input === undefined) {
      return undefined;
    }
    return extractToken(isWebRequest(input) ? requestViewOf(input) : input, sources);
  }

  function assertNotRevoked(facts: TokenFacts, at: number): void {
    if (denylist.isRevoked(facts, at)) {
      throw OAuthError.invalidToken(
        facts.result.tokenType === 'api_key'
          ? 'The API key has been revoked'
          : 'The access token has been revoked',
      );
    }
  }

  /**
   * The hot path. A header string whose token is in the cache costs: a prefix check, one SHA-256,
   * one LRU lookup, the denylist check, and no allocation (the result object is built once per
   * source). Syntax is checked in full only on a miss: a hit means this exact string passed before.
   */
  async function verify(input: VerifyInput, verifyOptions?: VerifyOptions): Promise<VerifiedToken> {
    try {
      const at = now();
      if (failClosedAfter !== undefined && isFailingClosed(at)) {
        throw OAuthError.temporarilyUnavailable('Revocations cannot be checked right now', { retryAfter: 5 });
      }
      let found: ExtractedToken | undefined;
      let facts: TokenFacts | undefined;
      let hash: string | undefined;
      if (typeof input === 'string' && hashTokenSync !== undefined && isPlainBearer(input)) {
        hash = hashTokenSync(input.slice(7));
        facts = cache.get(hash, at);
        if (facts !== undefined) {
          found = { token: '', source: 'header' };
        }
      }
      if (facts === undefined) {
        found = await extract(input);
        if (found === undefined) {
          throw new VerifyError(OAuthError.invalidToken('An access token is required'), realm, true);
        }
        hash = hashTokenSync === undefined ? await hashToken(found.token) : hashTokenSync(found.token);
        facts = cache.get(hash, at);
        if (
          facts === undefined ||
          (found.source === 'api_key_header' && facts.result.tokenType !== 'api_key')
        ) {
          facts = await verifyOnce(found, hash, at);
          assertNotRevoked(facts, at);
          cache.set(facts, at);
        } else {
          assertNotRevoked(facts, at);
        }
      } else {
        assertNotRevoked(facts, at);
      }
      const source = found?.source ?? 'header';
      let result = facts.views[source];
      if (result === undefined) {
        result = Object.freeze({ ...facts.result, source });
        facts.views[source] = result;
      }
      if (verifyOptions?.scope !== undefined) {
        requireScope(result, verifyOptions.scope);
      }
      return result;
    } catch (error) {
      throw VerifyError.from(error, realm);
    }
  }

  return {
    realm,
    sources,
    verify,
    async ready() {
      await endpoints();
      await stream?.ready();
    },
    status() {
      const at = now();
      const streamStatus: RevocationStreamStatus = stream?.status() ?? {
        state: 'disabled',
        lastEventId: undefined,
        connectedSince: undefined,
        downSince: undefined,
        connections: 0,
        lastError: options.client === undefined ? 'no client credentials' : undefined,
      };
      return {
        discovery: discoveryState,
        revocations: {
          ...streamStatus,
          denylistSize: denylist.prune(at),
          failingClosed: isFailingClosed(at),
        },
        cache: { size: cache.size, max: cache.max },
      };
    },
    async close() {
      await stream?.close();
    },
  };
}

function signingKeyIdOf(token: string): string | undefined {
  const kid = decodeProtectedHeader(token).kid;
  return typeof kid === 'string' ? kid : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** `Bearer <token>` with one space: the shape of every well-behaved client's header. */
function isPlainBearer(value: string): boolean {
  return (
    value.length > 7 &&
    value.charCodeAt(6) === 32 &&
    value.charCodeAt(7) !== 32 &&
    (value.startsWith('Bearer') || value.slice(0, 6).toLowerCase() === 'bearer')
  );
}
