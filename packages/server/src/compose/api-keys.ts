/**
 * API keys: the key service (minting, verification, usage batches, revocation through the core's
 * denylist so verifiers hear of it, DESIGN §5) and its contribution to `/introspect` (`tsr_key_…`).
 */
import type { GeoLookup } from '@tessera/risk';
import {
  type ApiKeyService,
  createApiKeyIntrospector,
  createApiKeyService,
  createOwnerStatus,
} from '../tokens/api-keys/index.js';
import type { Core } from './core.js';
import type { OAuthCore } from './oauth-core.js';
import type { TokenContributions } from './token-registries.js';

export interface ApiKeys {
  apiKeys: ApiKeyService;
  contributions: TokenContributions;
}

export function composeApiKeys(
  core: Core,
  oauth: Pick<OAuthCore, 'clients' | 'revocations' | 'credentialChanges'>,
  geo: GeoLookup,
): ApiKeys {
  const owners = createOwnerStatus({
    findClient: (id) => oauth.clients.get(id),
    peekClient: (id) => oauth.clients.peek(id),
    findUser: (id) => core.store.findUser(id),
    bus: core.bus,
  });
  const apiKeys = createApiKeyService({
    store: core.store,
    revocations: oauth.revocations,
    credentialChanges: oauth.credentialChanges,
    bus: core.bus,
    clock: core.clock,
    audit: core.audit,
    logger: core.logger,
    // Keys of a disabled or deleted client or user answer `disabled`, on every node at once
    // (client.updated / user.updated on the bus evict the cached owner).
    isOwnerActive: (owner) => owners.isActive(owner),
    // Key anomalies: a new ASN or country of the caller (docs/api-keys.md, "Anomalies").
    geo,
    onVerified: (outcome) => core.stats.add('api_key_verifications', outcome),
    options: {
      anomalyPolicy: core.config.apiKeys.anomalyPolicy,
      anomalies: {
        learningUses: core.config.apiKeys.anomalyLearningUses,
        learningMs: core.config.apiKeys.anomalyLearningPeriod * 1000,
      },
      rotationGrace: core.config.apiKeys.rotationGrace,
      revocationRetention: core.config.tokens.maxAccessTokenTtl,
      changeRetention: core.config.apiKeys.changeRetention,
      flushIntervalMs: Math.max(1, core.config.apiKeys.usageFlushInterval) * 1000,
    },
  });
  return {
    apiKeys,
    contributions: { introspectors: [createApiKeyIntrospector({ service: apiKeys, issuer: core.issuer })] },
  };
}
