/**
 * Turns what oauth4webapi throws into a {@link TesseraClientError}: an OAuth error answered by
 * Tessera keeps its code and status; anything else becomes `invalid_response` or `network_error`.
 */
import * as oauth from 'oauth4webapi';
import { TesseraClientError } from './client-error.js';

async function readErrorBody(response: Response): Promise<{ error?: unknown; error_description?: unknown }> {
  if (response.bodyUsed) {
    return {};
  }
  try {
    const body: unknown = await response.json();
    return typeof body === 'object' && body !== null ? body : {};
  } catch {
    return {};
  }
}

function withCode(code: string, description: unknown, message: string, status: number, cause: unknown) {
  const detail = typeof description === 'string' ? `: ${description}` : '';
  return new TesseraClientError(code, `${message} (${code}${detail})`, { status, cause });
}

/**
 * Wraps an error thrown by an oauth4webapi step (token, revocation, callback).
 *
 * @example
 * ```ts
 * try {
 *   return await oauth.processClientCredentialsResponse(as, client, response);
 * } catch (error) {
 *   throw await toClientError(error, 'The token request failed');
 * }
 * ```
 */
export async function toClientError(error: unknown, message: string): Promise<TesseraClientError> {
  if (error instanceof TesseraClientError) {
    return error;
  }
  if (error instanceof oauth.ResponseBodyError) {
    return withCode(error.error, error.error_description, message, error.status, error);
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    // RFC 6749 §5.2: a 401 after HTTP Basic carries a challenge header AND the JSON error body.
    const body = await readErrorBody(error.response);
    const fromChallenge = error.cause.find(
      (challenge) => challenge.parameters.error !== undefined,
    )?.parameters;
    const code = typeof body.error === 'string' ? body.error : (fromChallenge?.error ?? 'invalid_client');
    return withCode(
      code,
      body.error_description ?? fromChallenge?.error_description,
      message,
      error.status,
      error,
    );
  }
  if (error instanceof oauth.AuthorizationResponseError) {
    return withCode(error.error, error.error_description, message, 400, error);
  }
  if (error instanceof TypeError) {
    // fetch rejects with a TypeError when the connection fails.
    return new TesseraClientError('network_error', message, { cause: error });
  }
  return new TesseraClientError('invalid_response', message, { cause: error });
}
