/**
 * Client authentication (RFC 6749 §2.3, RFC 7523 §2.2, OIDC Core §9): one entry point for every
 * endpoint where a client authenticates (token, introspection, revocation, API-key verification,
 * revocation stream). The methods (client_secret_basic, client_secret_post, private_key_jwt) are a
 * frozen registry built in client-authenticator.ts.
 */
import type { ClientRecord } from '../../store/ports.js';

/** What an endpoint passes in: the raw Authorization header and the parsed form body. */
export interface ClientAuthInput {
  authorization: string | undefined;
  /** Form parameters (`client_id`, `client_secret`, `client_assertion`, `client_assertion_type`). */
  body: Record<string, string | string[]>;
  /** The endpoint URL the assertion `aud` may name (RFC 7523 §3 item 3), besides the issuer. */
  endpoint: string;
}

export interface AuthenticatedClient {
  client: ClientRecord;
  method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
}

/**
 * Authenticates the caller or throws `OAuthError.invalidClient` (401). The caller sets
 * `request.usedBasicAuth` from `authorization` so the error carries `WWW-Authenticate: Basic`.
 *
 * The answer is the client itself when every check could run from memory (a cached client with a
 * secret: no promise, no microtask on the hot path), else a promise of it. A refusal is thrown, or
 * rejected when it comes after a wait: `await` the answer inside an `async` function so both reach
 * the same `catch`.
 */
export type AuthenticateClient = (
  input: ClientAuthInput,
) => AuthenticatedClient | Promise<AuthenticatedClient>;
