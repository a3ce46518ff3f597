/**
 * The client credentials grant (RFC 6749 §4.4): a confidential client, already authenticated by the
 * token endpoint, gets an access token for itself (`sub` = its client id). No refresh token
 * (§4.4.3: "A refresh token SHOULD NOT be included").
 */
import { OAuthError, type TokenResponse } from '@tessera/protocol';
import type { AccessTokenService } from '../../tokens/access-token.js';
import { resolveAudience } from '../resource.js';
import { resolveScope } from '../scope.js';
import type { Grant, GrantContext } from './index.js';

export interface ClientCredentialsGrantDeps {
  issuer: string;
  accessTokens: AccessTokenService;
  /** Called after issuance (metrics, audit); must not throw. */
  onIssued?: (event: {
    clientId: string;
    jti: string;
    format: 'jwt' | 'opaque';
    scope: string[];
    audience: string[];
  }) => void;
}

export function createClientCredentialsGrant(deps: ClientCredentialsGrantDeps): Grant {
  return {
    grantType: 'client_credentials',
    parameters: ['scope', 'resource'],
    async handle(context: GrantContext): Promise<TokenResponse> {
      const { client } = context;
      // RFC 6749 §4.4: "MUST only be used by confidential clients".
      if (client.tokenEndpointAuthMethod === 'none') {
        throw OAuthError.unauthorizedClient('Public clients cannot use the client_credentials grant');
      }
      const scope = resolveScope(client, context.params.scope);
      const audience = resolveAudience(client, context.resources, deps.issuer);
      const issued = await deps.accessTokens.issue({
        client,
        subject: client.id,
        scope,
        audience,
        grantId: null,
        jkt: context.dpop?.jkt,
      });
      deps.onIssued?.({ clientId: client.id, jti: issued.jti, format: issued.format, scope, audience });
      // RFC 6749 §5.1; the scope is always included (§3.3 allows omitting it, we never do).
      return {
        access_token: issued.token,
        token_type: issued.tokenType,
        expires_in: issued.expiresIn,
        scope: scope.join(' '),
      };
    },
  };
}
