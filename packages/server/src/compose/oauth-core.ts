/**
 * The OAuth core services, shared by every part that issues, checks or revokes tokens: the client
 * registry, client authentication, access tokens and the revocation denylist; plus what the core
 * contributes to the token registries (the `client_credentials` grant, JWT and opaque access
 * tokens at `/introspect` and `/revoke`).
 */
import { readFileSync } from 'node:fs';
import { parseScope } from '@tessera/protocol';
import {
  type ClientAuthMethods,
  createClientAuthenticator,
  createClientAuthMethods,
} from '../oauth/client-auth/client-authenticator.js';
import { createClientAuthBackoff } from '../oauth/client-auth/failure-backoff.js';
import type { AuthenticateClient } from '../oauth/client-auth/index.js';
import { createJwksUriFetch, type JwksFetch } from '../oauth/client-auth/jwks-uri-fetch.js';
import { type ClientRegistry, createClientRegistry } from '../oauth/client-registry.js';
import { createDidClientResolver } from '../oauth/client-resolution/did.js';
import { createMetadataDocumentResolver } from '../oauth/client-resolution/metadata-document.js';
import type { UnregisteredClientPolicy } from '../oauth/client-resolution/policy.js';
import { createDpopNonces } from '../oauth/dpop/nonces.js';
import { createDpopProofValidator, type DpopProofValidator } from '../oauth/dpop/proof-validator.js';
import { createClientCredentialsGrant } from '../oauth/grants/client-credentials.js';
import {
  createJwtAccessTokenIntrospector,
  createOpaqueAccessTokenIntrospector,
} from '../oauth/introspection.js';
import { createJwtAccessTokenRevoker, createOpaqueAccessTokenRevoker } from '../oauth/revocation.js';
import { type AccessTokenService, createAccessTokenService } from '../tokens/access-token.js';
import { createAccessTokenGroupCommit } from '../tokens/access-token-group-commit.js';
import { type CredentialChanges, createCredentialChanges } from '../tokens/credential-changes.js';
import { createOpaqueAccessTokenCache } from '../tokens/opaque-access-token-cache.js';
import { createRevocations, type RevocationDenylist } from '../tokens/revocations.js';
import { createSsfTransmitter, type SsfTransmitter } from '../tokens/ssf-transmitter.js';
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
  /** OpenID CAEP `credential-change` events on the revocation stream, audited. */
  credentialChanges: CredentialChanges;
  /** CAEP events as Security Event Tokens on Shared Signals Framework streams (RFC 8936 poll). */
  ssf: SsfTransmitter;
  /** RFC 9449 proof checks for `/token` and `/userinfo`. */
  dpop: DpopProofValidator;
  contributions: TokenContributions;
  /** What a client known only by its id (DID, metadata document) or registered dynamically may get. */
  unregisteredPolicy: UnregisteredClientPolicy;
  /** The bounded, address-checked fetch for URLs a client's metadata names. */
  outboundFetch: JwksFetch;
}

export function composeOAuthCore(core: Core): OAuthCore {
  const { config, issuer, store, bus, clock, keyring } = core;
  // One bounded, address-checked fetch for everything a client's id or metadata points at.
  const outboundFetch = createJwksUriFetch({
    allowPrivate: config.clients.allowPrivateJwksUri,
    maxBytes: config.clients.jwksMaxBytes,
    timeoutMs: config.clients.jwksFetchTimeout * 1000,
    ...(config.clients.fetchCaFile === undefined
      ? {}
      : { ca: readFileSync(config.clients.fetchCaFile, 'utf8') }),
  });
  const policy: UnregisteredClientPolicy = {
    grantTypes: config.clients.unregisteredGrantTypes,
    scope: parseScope(config.clients.unregisteredScope),
    audiences: config.clients.unregisteredAudiences,
  };
  const clients = createClientRegistry({
    store,
    bus,
    resolvers: [
      createDidClientResolver({
        methods: config.clients.didMethods,
        policy,
        clock,
        fetch: outboundFetch,
        ttlMs: config.clients.resolutionTtl * 1000,
        onRefused: (clientId, reason) => core.logger.info({ clientId, reason }, 'DID client refused'),
      }),
      createMetadataDocumentResolver({
        enabled: config.clients.metadataDocuments,
        policy,
        clock,
        fetch: outboundFetch,
        maxTtlMs: config.clients.resolutionTtl * 1000,
        rules: { dev: config.dev, allowPrivateJwksUri: config.clients.allowPrivateJwksUri },
        onRefused: (clientId, reason) =>
          core.logger.info({ clientId, reason }, 'client id metadata document refused'),
      }),
    ],
  });
  const ssf = createSsfTransmitter({
    issuer,
    store,
    keyring,
    algorithm: config.keys.algorithm,
    clock,
    retention: config.ssf.retention,
    onSetError: (report) => core.logger.warn(report, 'SSF receiver reported a SET it could not process'),
  });
  // The poll reads revocations other nodes made, should the bus have missed them.
  const revocations = createRevocations({
    store,
    bus,
    clock,
    pollIntervalMs: config.revocations.pollInterval * 1000,
    onRevoked: (target) => core.stats.add('revocations', target.type),
    // Only the node that records a revocation queues its SETs: once per event, whatever the bus does.
    beforePublish: (event) =>
      ssf
        .queue(event)
        .catch((error: unknown) =>
          core.logger.error({ err: error, id: event.id }, 'queueing SSF events failed'),
        ),
    onError: (error) =>
      core.logger.warn({ err: error }, 'revocation replay failed; retried on the next poll'),
    busDownMs: () => {
      const status = core.busStatus();
      return status === undefined || status.connected ? undefined : Date.now() - status.since;
    },
  });
  // A verifier compares the event with a token's sign-in time, which a refresh keeps.
  const credentialChanges = createCredentialChanges({
    revocations,
    audit: core.audit,
    clock,
    retention: {
      short: config.tokens.maxAccessTokenTtl,
      long:
        Math.max(config.refreshTokens.maxTtl, config.login.sessionMaxAge) + config.tokens.maxAccessTokenTtl,
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
      fetch: outboundFetch,
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
  const dpop = createDpopProofValidator({
    clock,
    replay: store,
    algorithms: config.dpop.signingAlgorithms,
    window: config.dpop.proofWindow,
    ...(config.dpop.requireNonce
      ? {
          nonces: createDpopNonces({ masterKey: core.masterKey, clock, lifetime: config.dpop.nonceLifetime }),
        }
      : {}),
  });
  return {
    dpop,
    clients,
    authenticate,
    authMethods,
    accessTokens,
    verifyAccessToken,
    revocations,
    credentialChanges,
    ssf,
    unregisteredPolicy: policy,
    outboundFetch,
    contributions: {
      grants: [
        createClientCredentialsGrant({
          issuer,
          accessTokens,
          onIssued: ({ format }) => {
            core.metrics.tokensIssued.inc({ grant_type: 'client_credentials', format });
            core.stats.add('tokens_issued', 'client_credentials');
          },
        }),
      ],
      introspectors: [
        createJwtAccessTokenIntrospector({ verify: verifyAccessToken, revocations, clients }),
        createOpaqueAccessTokenIntrospector({
          issuer,
          // Resource servers introspect the same token again and again: its row from memory.
          store: createOpaqueAccessTokenCache({ store, bus, clock }),
          revocations,
          clients,
          clock,
        }),
      ],
      revokers: [
        createJwtAccessTokenRevoker({ verify: verifyAccessToken, revocations, audit: core.audit }),
        createOpaqueAccessTokenRevoker({ store, clock, revocations, audit: core.audit }),
      ],
    },
  };
}
