/**
 * {@link VerifyError}: the one error the verifier throws. It is an `OAuthError` (RFC 6750 §3.1
 * code, status, public description, private cause) that also knows its realm, so it can render
 * itself as the protected resource's response.
 */
import { isOAuthError, OAuthError } from '@tessera/protocol';
import { buildChallenge, challengeCodeOf } from './challenge.js';

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

  constructor(error: OAuthError, realm: string, credentialsMissing = false) {
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
    if (this.credentialsMissing) {
      return buildChallenge({ realm: this.realm });
    }
    const code = challengeCodeOf(this);
    if (code === undefined && this.status !== 401) {
      return undefined;
    }
    return buildChallenge({
      realm: this.realm,
      error: code,
      errorDescription: this.description,
      scope: this.scope,
      acrValues: this.acrValues,
      maxAge: this.maxAge,
    });
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
    if (this.retryAfter !== undefined) {
      headers['retry-after'] = String(Math.max(1, Math.ceil(this.retryAfter)));
    }
    const body = this.credentialsMissing ? { error_description: this.description } : this.toJSON();
    return { status: this.status, headers, body: JSON.stringify(body) };
  }
}
