/**
 * The OAuth core services, shared by every part that issues, checks or revokes tokens: the client
 * registry, client authentication, access tokens and the revocation denylist; plus what the core
 * contributes to the token registries (the `client_credentials` grant, JWT and opaque access
 * tokens at `/introspect` and `/revoke`).
 */
import {
  type ClientAuthMethods,
  createClientAuthenticator,
  createClientAuthMethods,
} from '../oauth/client-auth/client-authenticator.js';
import { createClientAuthBackoff } from '../oauth/client-auth/failure-backoff.js';
import type { AuthenticateClient } from '../oauth/client-auth/index.js';
import { createJwksUriFetch } from '../oauth/client-auth/jwks-uri-fetch.js';
import { type ClientRegistry, createClientRegistry } from '../oauth/client-registry.js';
import { createClientCredentialsGrant } from '../oauth/grants/client-credentials.js';
import {
  createJwtAccessTokenIntrospector,
  createOpaqueAccessTokenIntrospector,
} from '../oauth/introspection.js';
import { createJwtAccessTokenRevoker, createOpaqueAccessTokenRevoker } from '../oauth/revocation.js';
import { type AccessTokenService, createAccessTokenService } from '../tokens/access-token.js';
import { createAccessTokenGroupCommit } from '../tokens/access-token-group-commit.js';
import { createRevocations, type RevocationDenylist } from '../tokens/revocations.js';
import { type AccessTokenVerifier, createAccessTokenVerifier } from '../tokens/verify-access-token.js';
import type { Core } from './core.js';
import type { TokenContributions } from './token-registries.js';

export interface OAuthCore {
  clients: ClientRegistry;
  authenticate: AuthenticateClient;
  /** The client-authentication methods `authenticate` dispatches on, frozen; discovery lists them. */
  authMethods: ClientAuthMethods;
  accessTokens: AccessTokenService;
  verifyAccessToken: AccessTokenVerifier;
  revocations: RevocationDenylist;
  contributions: TokenContributions;
}

export function composeOAuthCore(core: Core): OAuthCore {
  const { config, issuer, store, bus, clock, keyring } = core;
  const clients = createClientRegistry({ store, bus });
  // The poll reads revocations other nodes made, should the bus have missed them.
  const revocations = createRevocations({
    store,
    bus,
    clock,
    pollIntervalMs: config.revocations.pollInterval * 1000,
    onError: (error) =>
      core.logger.warn({ err: error }, 'revocation replay failed; retried on the next poll'),
    busDownMs: () => {
      const status = core.busStatus();
      return status === undefined || status.connected ? undefined : Date.now() - status.since;
    },
  });
  const authenticatorDeps = {
    clients,
    replay: store,
    clock,
    issuer,
    tokenEndpoint: `${issuer}/token`,
    backoff: createClientAuthBackoff({
      store,
      clock,
      freeFailures: config.rateLimit.clientAuthFreeFailures,
      maxBackoff: config.rateLimit.clientAuthMaxBackoff,
    }),
    remoteJwks: {
      timeoutMs: config.clients.jwksFetchTimeout * 1000,
      fetch: createJwksUriFetch({
        allowPrivate: config.clients.allowPrivateJwksUri,
        maxBytes: config.clients.jwksMaxBytes,
        timeoutMs: config.clients.jwksFetchTimeout * 1000,
      }),
    },
  };
  const authMethods = createClientAuthMethods(authenticatorDeps);
  const authenticate = createClientAuthenticator(authenticatorDeps, authMethods);
  const accessTokens = createAccessTokenService({
    issuer,
    keyring,
    algorithm: config.keys.algorithm,
    clock,
    // Opaque tokens of concurrent requests share one durable INSERT (group commit).
    store: createAccessTokenGroupCommit(store),
    ttl: { default: config.tokens.accessTokenTtl, max: config.tokens.maxAccessTokenTtl },
  });
  const verifyAccessToken = createAccessTokenVerifier({ issuer, keyring, clock });
  return {
    clients,
    authenticate,
    authMethods,
    accessTokens,
    verifyAccessToken,
    revocations,
    contributions: {
      grants: [
        createClientCredentialsGrant({
          issuer,
          accessTokens,
          onIssued: ({ format }) =>
            core.metrics.tokensIssued.inc({ grant_type: 'client_credentials', format }),
        }),
      ],
      introspectors: [
        createJwtAccessTokenIntrospector({ verify: verifyAccessToken, revocations, clients }),
        createOpaqueAccessTokenIntrospector({ issuer, store, revocations, clients, clock }),
      ],
      revokers: [
        createJwtAccessTokenRevoker({ verify: verifyAccessToken, revocations, audit: core.audit }),
        createOpaqueAccessTokenRevoker({ store, clock, revocations, audit: core.audit }),
      ],
    },
  };
}
