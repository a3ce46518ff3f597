/**
 * `tokens/api-keys` owns API keys: minting, lifecycle, verification with its in-memory
 * cache, batched usage, per-key rate limits, anomaly policies and aggregated rejection audit. It
 * imports only `store/ports`, `events`, `audit`, `ids`, `clock`, `log`, `@tessera/protocol` and
 * `@tessera/risk`; the HTTP layer
 * (`http/features/api-keys.ts`) and the CLI (`cli/commands/api-keys.ts`) sit on top.
 */
export { API_KEYS_VERIFY_PERMISSION, createApiKeyIntrospector } from './api-key-introspector.js';
export {
  type ActionContext,
  type ApiKeyService,
  type ApiKeyServiceDeps,
  type ApiKeyUpdate,
  createApiKeyService,
  DEFAULT_ROTATION_GRACE,
  type KeyCheck,
  MAX_API_KEY_PAGE,
  MAX_ROTATION_GRACE,
  type MintedApiKey,
  type NewApiKeyInput,
  type RotatedApiKey,
} from './api-key-service.js';
export {
  type ApiKeyRateLimitState,
  type ApiKeyRejectionCode,
  type ApiKeyVerification,
  isSharedAnswer,
  KEY_NOT_FOUND,
} from './api-key-verification.js';
export type { KeyUseContext } from './key-anomalies.js';
export { createOwnerStatus, type OwnerStatus } from './owner-status.js';
export { formatRateLimit, parseRateLimit } from './rate-limit-spec.js';
