/**
 * One error type for every layer of Tessera: {@link OAuthError} carries an RFC error code, the HTTP
 * status from one table, a public description and a private cause that is logged, never rendered.
 */

/**
 * Every error code Tessera emits. Closed on purpose: adding a code means adding it here, to the
 * status table and to docs/errors.md (a test holds the three together).
 */
export type OAuthErrorCode =
  // RFC 6749 §4.1.2.1 and §5.2: authorization and token endpoint errors
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'server_error'
  | 'temporarily_unavailable'
  // RFC 6750 §3.1: bearer token errors at protected resources
  | 'invalid_token'
  | 'insufficient_scope'
  // RFC 9470 §3: step-up authentication challenge at protected resources
  | 'insufficient_user_authentication'
  // RFC 7009 §2.2.1: revocation
  | 'unsupported_token_type'
  // RFC 7591 §3.2.2: client metadata
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  // RFC 8707 §2: resource indicators
  | 'invalid_target'
  // OpenID Connect Core §3.1.2.6
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  // Tessera's own, for the admin API and rate limits only
  | 'not_found'
  | 'conflict'
  | 'rate_limited';

/** HTTP status for each code. A throw site may override it only with a reason. */
export const OAUTH_ERROR_STATUS: Readonly<Record<OAuthErrorCode, number>> = Object.freeze({
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  access_denied: 403,
  unsupported_response_type: 400,
  server_error: 500,
  temporarily_unavailable: 503,
  invalid_token: 401,
  insufficient_scope: 403,
  insufficient_user_authentication: 401,
  unsupported_token_type: 400,
  invalid_redirect_uri: 400,
  invalid_client_metadata: 400,
  invalid_target: 400,
  login_required: 400,
  consent_required: 400,
  interaction_required: 400,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
});

/** All codes, in table order. */
export const OAUTH_ERROR_CODES = Object.freeze(Object.keys(OAUTH_ERROR_STATUS) as OAuthErrorCode[]);

/**
 * RFC 6749 §5.2: `error_description` is limited to %x20-21 / %x23-5B / %x5D-7E (printable ASCII
 * without `"` and `\`).
 */
export function isValidErrorDescription(text: string): boolean {
  return /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/.test(text);
}

/** Options accepted by every {@link OAuthError} factory. */
export interface OAuthErrorOptions {
  /** Internal detail: logged with the request id, never sent to the client. */
  cause?: unknown;
  /** Overrides the table status; give a reason in a comment at the throw site. */
  status?: number;
  /** For `insufficient_scope`: the scope the resource needs (RFC 6750 §3). */
  scope?: string;
  /** RFC 6749 §4.1.2.1: true only once client_id and redirect_uri have been validated. */
  redirectable?: boolean;
  /** Seconds the caller should wait (rate limits), rendered as `Retry-After`. */
  retryAfter?: number;
  /**
   * RFC 6750 §3.1: the request carried no authentication at all, so the challenge names no error
   * code (the JSON body still does).
   */
  noCredentials?: boolean;
}

/**
 * The error of every Tessera layer.
 *
 * @example
 * ```ts
 * throw OAuthError.invalidGrant('The authorization code has expired');
 * ```
 */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  readonly code: OAuthErrorCode;
  readonly status: number;
  /** Public text, rendered as `error_description`. */
  readonly description: string;
  readonly scope: string | undefined;
  readonly redirectable: boolean;
  readonly retryAfter: number | undefined;
  readonly noCredentials: boolean;

  constructor(code: OAuthErrorCode, description: string, options: OAuthErrorOptions = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? OAUTH_ERROR_STATUS[code];
    // Never let a description break the RFC 6749 §5.2 character set (it may have come from input).
    this.description = isValidErrorDescription(description)
      ? description
      : description.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '?');
    this.scope = options.scope;
    this.redirectable = options.redirectable ?? false;
    this.retryAfter = options.retryAfter;
    this.noCredentials = options.noCredentials ?? false;
  }

  /** The JSON body of RFC 6749 §5.2. */
  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }

  static invalidRequest(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_request', description, options);
  }
  static invalidClient(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_client', description, options);
  }
  static invalidGrant(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_grant', description, options);
  }
  static unauthorizedClient(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('unauthorized_client', description, options);
  }
  static unsupportedGrantType(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('unsupported_grant_type', description, options);
  }
  static invalidScope(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_scope', description, options);
  }
  static accessDenied(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('access_denied', description, options);
  }
  static unsupportedResponseType(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('unsupported_response_type', description, options);
  }
  static serverError(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('server_error', description, options);
  }
  static temporarilyUnavailable(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('temporarily_unavailable', description, options);
  }
  static invalidToken(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_token', description, options);
  }
  static insufficientScope(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('insufficient_scope', description, options);
  }
  static insufficientUserAuthentication(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('insufficient_user_authentication', description, options);
  }
  static unsupportedTokenType(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('unsupported_token_type', description, options);
  }
  static invalidRedirectUri(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_redirect_uri', description, options);
  }
  static invalidClientMetadata(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_client_metadata', description, options);
  }
  static invalidTarget(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_target', description, options);
  }
  static loginRequired(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('login_required', description, options);
  }
  static consentRequired(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('consent_required', description, options);
  }
  static interactionRequired(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('interaction_required', description, options);
  }
  static notFound(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('not_found', description, options);
  }
  static conflict(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('conflict', description, options);
  }
  static rateLimited(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('rate_limited', description, options);
  }
}

/** True for an {@link OAuthError}, including one from another copy of this package. */
export function isOAuthError(value: unknown): value is OAuthError {
  return value instanceof OAuthError || (value instanceof Error && value.name === 'OAuthError');
}
