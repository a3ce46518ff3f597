/**
 * Who may open the revocation stream: a client authenticated with HTTP Basic (RFC 6749 §2.3.1)
 * that holds the `revocations:stream` permission; otherwise 401 `invalid_client` (with
 * `WWW-Authenticate: Basic`) or 403 `insufficient_scope`.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyRequest } from 'fastify';
import { isBasicAuthorization } from '../../oauth/client-auth/client-secret-basic.js';
import type { AuthenticateClient } from '../../oauth/client-auth/index.js';

export const REVOCATION_STREAM_PERMISSION = 'revocations:stream';

export interface StreamAuthorizationDeps {
  authenticate: AuthenticateClient;
  /** The stream's URL, as client authentication is told it. */
  endpoint: string;
}

/** The id of the client the request authenticates, or throws. */
export type AuthorizeStream = (request: FastifyRequest) => Promise<string>;

export function createStreamAuthorization(deps: StreamAuthorizationDeps): AuthorizeStream {
  const { endpoint } = deps;

  return async function authorize(request: FastifyRequest): Promise<string> {
    const authorization = request.headers.authorization;
    request.usedBasicAuth = isBasicAuthorization(authorization);
    if (!request.usedBasicAuth) {
      throw OAuthError.invalidClient('The revocation stream requires HTTP Basic client authentication');
    }
    const { client, method } = await deps.authenticate({ authorization, body: {}, endpoint });
    if (method === 'none') {
      throw OAuthError.invalidClient('The revocation stream requires client authentication');
    }
    if (!client.permissions.includes(REVOCATION_STREAM_PERMISSION)) {
      throw OAuthError.insufficientScope(`The client lacks the ${REVOCATION_STREAM_PERMISSION} permission`, {
        scope: REVOCATION_STREAM_PERMISSION,
      });
    }
    return client.id;
  };
}
