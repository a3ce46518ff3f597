/**
 * {@link VerifyError}: the one error the verifier throws. It is an `OAuthError` (RFC 6750 §3.1
 * code, status, public description, private cause) that also knows its realm, so it can render
 * itself as the protected resource's response.
 */
import { isOAuthError, OAuthError } from '@tessera/protocol';
import { buildChallenge, buildDpopChallenge, challengeCodeOf } from './challenge.js';

/**
 * What a verifier that accepts DPoP adds to its refusals (RFC 9449 §7.1): a `DPoP` challenge
 * beside the Bearer one, and the nonce to use (§9).
 *
 * @example
 * ```ts
 * const dpop: DpopChallenge = { algorithms: ['ES256'], usedDpop: true, nonce: undefined };
 * ```
 */
export interface DpopChallenge {
  algorithms: readonly string[];
  /** The request used the DPoP scheme: the error belongs to the DPoP challenge. */
  usedDpop: boolean;
  /** Sent as `DPoP-Nonce` (RFC 9449 §9). */
  nonce?: string | undefined;
}

const DPOP_CODES: ReadonlySet<string> = new Set([
  'invalid_request',
  'invalid_token',
  'insufficient_scope',
  'invalid_dpop_proof',
  'use_dpop_nonce',
]);

/**
 * The response an adapter sends for a refused request.
 *
 * @example
 * ```ts
 * const { status, headers, body } = error.toResponse();
 * ```
 */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON text: `{"error": …, "error_description": …}`; no `error` without credentials (RFC 6750 §3.1). */
  body: string;
}

/**
 * An `OAuthError` from the verifier, carrying everything needed to answer the request.
 *
 * @example
 * ```ts
 * try {
 *   await verifier.verify(request);
 * } catch (error) {
 *   if (error instanceof VerifyError) {
 *     const { status, headers, body } = error.toResponse();
 *     return new Response(body, { status, headers });
 *   }
 *   throw error;
 * }
 * ```
 */
export class VerifyError extends OAuthError {
  /** The realm of the challenge (RFC 6750 §3). */
  readonly realm: string;
  /**
   * True when the request carried no credentials at all: RFC 6750 §3.1 says the challenge then
   * SHOULD NOT carry an error code.
   */
  readonly credentialsMissing: boolean;
  /** Set when the verifier accepts DPoP: the refusal then carries a `DPoP` challenge too. */
  readonly dpop: DpopChallenge | undefined;
  /** RFC 9728 §5.1: the Protected Resource Metadata URL named in the challenge, if configured. */
  readonly resourceMetadata: string | undefined;

  constructor(
    error: OAuthError,
    realm: string,
    credentialsMissing = false,
    extras: { dpop?: DpopChallenge | undefined; resourceMetadata?: string | undefined } = {},
  ) {
    super(error.code, error.description, {
      cause: error.cause,
      status: error.status,
      ...(error.scope === undefined ? {} : { scope: error.scope }),
      ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }),
      ...(error.acrValues === undefined ? {} : { acrValues: error.acrValues }),
      ...(error.maxAge === undefined ? {} : { maxAge: error.maxAge }),
    });
    this.realm = realm;
    this.credentialsMissing = credentialsMissing;
    this.dpop = extras.dpop;
    this.resourceMetadata = extras.resourceMetadata;
  }

  /**
   * The same refusal with the DPoP challenge added.
   *
   * @example
   * ```ts
   * const withDpop = error.withDpop({ algorithms: ['ES256'], usedDpop: false });
   * ```
   */
  withDpop(dpop: DpopChallenge): VerifyError {
    return new VerifyError(this, this.realm, this.credentialsMissing, {
      dpop,
      resourceMetadata: this.resourceMetadata,
    });
  }

  /**
   * The same error, naming the resource's metadata document in its challenge (RFC 9728 §5.1).
   *
   * @example
   * ```ts
   * error.withResourceMetadata('https://api.example/.well-known/oauth-protected-resource');
   * ```
   */
  withResourceMetadata(url: string | undefined): VerifyError {
    return url === undefined || url === this.resourceMetadata
      ? this
      : new VerifyError(this, this.realm, this.credentialsMissing, {
          dpop: this.dpop,
          resourceMetadata: url,
        });
  }

  /**
   * Wraps anything thrown while verifying. An `OAuthError` keeps its code; anything else becomes
   * `server_error` whose detail stays in `cause`, never in the response.
   *
   * @example
   * ```ts
   * const error = VerifyError.from(new Error('boom'), 'api'); // server_error, 500
   * ```
   */
  static from(raw: unknown, realm: string): VerifyError {
    if (raw instanceof VerifyError) {
      return raw;
    }
    if (isOAuthError(raw)) {
      return new VerifyError(raw, realm);
    }
    return new VerifyError(OAuthError.serverError('The token could not be verified', { cause: raw }), realm);
  }

  /** The `WWW-Authenticate` value (RFC 6750 §3), or undefined for non-authentication errors. */
  get wwwAuthenticate(): string | undefined {
    const dpop = this.dpop;
    if (this.credentialsMissing) {
      const bare = buildChallenge({ realm: this.realm, resourceMetadata: this.resourceMetadata });
      return dpop === undefined
        ? bare
        : `${bare}, ${buildDpopChallenge({ realm: this.realm, algorithms: dpop.algorithms })}`;
    }
    const dpopError =
      dpop !== undefined &&
      (dpop.usedDpop || this.code === 'invalid_dpop_proof' || this.code === 'use_dpop_nonce');
    const code = challengeCodeOf(this);
    if (!dpopError && code === undefined && this.status !== 401) {
      return undefined;
    }
    const resourceMetadata = this.resourceMetadata;
    const bearer = dpopError
      ? buildChallenge({ realm: this.realm, resourceMetadata })
      : buildChallenge({
          realm: this.realm,
          error: code,
          errorDescription: this.description,
          scope: this.scope,
          acrValues: this.acrValues,
          maxAge: this.maxAge,
          resourceMetadata,
        });
    if (dpop === undefined) {
      return bearer;
    }
    // RFC 9449 §7.1: both schemes are offered; the error goes with the scheme the request used.
    const challenge = buildDpopChallenge({
      realm: this.realm,
      algorithms: dpop.algorithms,
      ...(dpopError && DPOP_CODES.has(this.code)
        ? { error: this.code, errorDescription: this.description, scope: this.scope }
        : {}),
    });
    return `${bearer}, ${challenge}`;
  }

  /**
   * The response to send: status, `WWW-Authenticate`, `Cache-Control: no-store` and a JSON body.
   *
   * @example
   * ```ts
   * const { status, headers, body } = error.toResponse();
   * ```
   */
  toResponse(): ErrorResponse {
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    };
    const challenge = this.wwwAuthenticate;
    if (challenge !== undefined) {
      headers['www-authenticate'] = challenge;
    }
    if (this.dpop?.nonce !== undefined) {
      headers['dpop-nonce'] = this.dpop.nonce;
    }
    if (this.retryAfter !== undefined) {
      headers['retry-after'] = String(Math.max(1, Math.ceil(this.retryAfter)));
    }
    const body = this.credentialsMissing ? { error_description: this.description } : this.toJSON();
    return { status: this.status, headers, body: JSON.stringify(body) };
  }
}
