/**
 * Tokens issued to people: the ID-token issuer and, for the token registries, the
 * `authorization_code`, device code (RFC 8628) and `refresh_token` grants plus refresh tokens (`tsr_rt_…`) at
 * `/introspect` and `/revoke`.
 */
import { createTokenContext } from '@tessera/risk';
import { createAuthorizationCodeGrant } from '../oauth/grants/authorization-code.js';
import { createDeviceCodeGrant } from '../oauth/grants/device-code.js';
import { createRefreshTokenGrant } from '../oauth/grants/refresh-token.js';
import { createUserTokens } from '../oauth/grants/user-tokens.js';
import { createIdTokenIssuer } from '../oauth/oidc/id-token.js';
import { createRefreshTokenIntrospector } from '../oauth/refresh-token-introspector.js';
import { createRefreshTokenRevoker } from '../oauth/refresh-token-revoker.js';
import { createRefreshRotationGroupCommit } from '../tokens/refresh-rotation-group-commit.js';
import { createSuccessorSealer } from '../tokens/refresh-successor-sealer.js';
import type { Core } from './core.js';
import type { OAuthCore } from './oauth-core.js';
import type { TokenContributions } from './token-registries.js';

export function composeUserGrants(
  core: Core,
  oauth: Pick<OAuthCore, 'clients' | 'accessTokens' | 'revocations'>,
): TokenContributions {
  const { config, issuer, store, clock, audit } = core;
  const onIssued = (grantType: string, format: 'jwt' | 'opaque') => {
    core.metrics.tokensIssued.inc({ grant_type: grantType, format });
    core.stats.add('tokens_issued', grantType);
  };
  const idTokens = createIdTokenIssuer({
    issuer,
    keyring: core.keyring,
    clock,
    algorithm: config.oidc.idTokenAlgorithm,
    ttl: config.oidc.idTokenTtl,
    subjectOf: core.subjectOf,
  });
  const tokens = createUserTokens({
    accessTokens: oauth.accessTokens,
    idTokens,
    store,
    revocations: oauth.revocations,
    audit,
    clock,
    refreshTokens: config.refreshTokens,
    maxAccessTokenTtl: config.tokens.maxAccessTokenTtl,
    ...(config.risk.enabled ? { issuanceContext: createTokenContext } : {}),
  });
  return {
    grants: [
      createAuthorizationCodeGrant({
        store,
        tokens,
        audit,
        clock,
        onIssued: ({ format }) => onIssued('authorization_code', format),
      }),
      createRefreshTokenGrant({
        // Concurrent rotations share one transaction (one commit); each is still the store's verb.
        store: {
          findRefreshToken: (hash) => store.findRefreshToken(hash),
          ...createRefreshRotationGroupCommit(store),
        },
        tokens,
        audit,
        clock,
        reuseGrace: {
          seconds: config.refreshTokens.reuseGrace,
          sealer: createSuccessorSealer(core.masterKey),
        },
        onIssued: ({ format }) => onIssued('refresh_token', format),
      }),
      // RFC 8628 §3.4: urn:ietf:params:oauth:grant-type:device_code.
      createDeviceCodeGrant({
        store,
        tokens,
        audit,
        clock,
        onIssued: ({ format }) => onIssued('device_code', format),
      }),
    ],
    introspectors: [createRefreshTokenIntrospector({ issuer, store, clients: oauth.clients, clock })],
    revokers: [createRefreshTokenRevoker({ store, tokens })],
  };
}
