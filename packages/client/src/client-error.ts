/**
 * The one error type of `@tessera/client`. When Tessera answered with an OAuth error (RFC 6749
 * §5.2, RFC 6750 §3) `code` is that error code; otherwise it is one of the client's own codes.
 */

/**
 * Codes the client raises itself (server codes such as `invalid_grant` pass through as-is).
 *
 * @example
 * ```ts
 * if (error.code === ('login_required' satisfies ClientErrorCode)) { redirectToLogin(); }
 * ```
 */
export type ClientErrorCode =
  /** Discovery failed or the metadata lacks a needed endpoint. */
  | 'discovery_failed'
  /** Tessera's answer broke the protocol (not JSON, missing fields, bad signature, wrong `iss` …). */
  | 'invalid_response'
  /** The authorization response failed a check (state, iss, error from the server). */
  | 'invalid_callback'
  /** The user must sign in again: the refresh token is gone, expired, revoked or was reused. */
  | 'login_required'
  /** The network request did not complete. */
  | 'network_error';

/**
 * Options of {@link TesseraClientError}.
 *
 * @example
 * ```ts
 * new TesseraClientError('network_error', 'Tessera is unreachable', { cause: error });
 * ```
 */
export interface TesseraClientErrorOptions {
  /** HTTP status of Tessera's answer, when there was one. */
  status?: number;
  /** The underlying error (e.g. from oauth4webapi); may be logged, never shown to end users. */
  cause?: unknown;
  /** True when only a fresh sign-in can recover (the BFF then clears the session). */
  reloginRequired?: boolean;
}

/**
 * An error from `@tessera/client`. Never carries a token or secret in its message.
 *
 * @example
 * ```ts
 * try {
 *   await client.getToken();
 * } catch (error) {
 *   if (error instanceof TesseraClientError && error.code === 'invalid_client') {
 *     console.error('check TESSERA_CLIENT_SECRET');
 *   }
 * }
 * ```
 */
export class TesseraClientError extends Error {
  override readonly name = 'TesseraClientError';
  /** An OAuth error code from Tessera (`invalid_client`, `invalid_grant` …) or a {@link ClientErrorCode}. */
  readonly code: ClientErrorCode | (string & {});
  readonly status: number | undefined;
  readonly reloginRequired: boolean;

  constructor(
    code: ClientErrorCode | (string & {}),
    message: string,
    options: TesseraClientErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.reloginRequired = options.reloginRequired ?? code === 'login_required';
  }
}
