/**
 * API keys: minted once, stored as SHA-256, scoped, rate-limited, rotated and revoked in
 * real time. Framework-free: the HTTP layer parses requests into these calls.
 *
 * Lifecycle writes are validated whole before anything is written, published on the bus
 * (`api_key.updated`, so every node's cache drops the key at once) and audited. Revocation also goes
 * through {@link Revocations}, so it is streamed to verifiers like a token revocation (DESIGN §5).
 *
 * Verification is the hot path (DESIGN §4): checksum first (no store access for garbage), then one
 * SHA-256 and a cache lookup; usage is written in batches; only keys with a rate limit touch the
 * database, with one atomic counter upsert shared by every node.
 *
 * This factory only wires the modules of one concept each: input validation (api-key-input.ts),
 * the owner's bounds (owner-policy.ts), loading, writing, publishing and auditing a change
 * (key-writes.ts), the lifecycle (key-lifecycle.ts), rotation (key-rotation.ts) and verification
 * (key-check.ts, rate-limit-state.ts), and the anomaly policy with its usage profiles
 * (key-anomalies.ts).
 */

import { type GeoLookup, type KeyUsageProfilerOptions, noGeo } from '@tessera/risk';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import type { EventBus } from '../../events/bus.js';
import type { Logger } from '../../log.js';
import type {
  ApiKeyAnomalyPolicy,
  ApiKeyRecord,
  ApiKeyStore,
  ClientStore,
  Page,
  RateLimitSpec,
  RateLimitStore,
  UserStore,
} from '../../store/ports.js';
import type { CredentialChanges } from '../credential-changes.js';
import type { Revocations } from '../revocations.js';
import { type ApiKeyCache, type ApiKeyCacheDeps, createApiKeyCache } from './api-key-cache.js';
import type { ApiKeyVerification } from './api-key-verification.js';
import { createKeyAnomalies, type KeyUseContext } from './key-anomalies.js';
import { createKeyCheck } from './key-check.js';
import { createKeyLifecycle } from './key-lifecycle.js';
import { createKeyRotation, DEFAULT_ROTATION_GRACE } from './key-rotation.js';
import { createKeyWrites } from './key-writes.js';
import { createOwnerPolicy } from './owner-policy.js';
import { createRejectionAuditor } from './rejection-auditor.js';
import { createUsageRecorder } from './usage-recorder.js';

export { MAX_API_KEY_PAGE } from './key-lifecycle.js';
export { DEFAULT_ROTATION_GRACE, MAX_ROTATION_GRACE } from './key-rotation.js';

export interface ApiKeyServiceDeps {
  store: ApiKeyStore & RateLimitStore & Pick<ClientStore, 'findClient'> & Pick<UserStore, 'findUser'>;
  revocations: Pick<Revocations, 'revoke'>;
  /** Streams a revoked key as the owner's `credential-change` (OpenID CAEP §3.3). */
  credentialChanges?: Pick<CredentialChanges, 'changed'>;
  bus: Pick<EventBus, 'publish' | 'subscribe'>;
  clock: Clock;
  audit: Pick<AuditLog, 'record'>;
  logger: Pick<Logger, 'error'>;
  /**
   * False when the key's owner can no longer act (a disabled or deleted client or user): its keys
   * then answer `disabled`. Must be served from memory (main.ts passes `owner-status.ts`).
   */
  isOwnerActive?: (owner: string) => boolean | Promise<boolean>;
  /** IP → ASN and country for key anomalies (the server's `risk.*Database` files). */
  geo?: GeoLookup;
  /** Told each verification's outcome (`valid`, or its code): the usage counters. */
  onVerified?: (outcome: string) => void;
  options?: {
    /** The anomaly policy of a key created without one (default `flag`). */
    anomalyPolicy?: ApiKeyAnomalyPolicy;
    /** The usage profiles' learning period and bounds. */
    anomalies?: KeyUsageProfilerOptions;
    /** Seconds the old key keeps working after a rotation with no grace given (default 24 h). */
    rotationGrace?: number;
    /**
     * How long a key revocation is streamed to verifiers (seconds): as long as a verifier may cache
     * a key's answer. Never longer than the key's own expiry.
     */
    revocationRetention?: number;
    /**
     * How long an `api_key_changed` event is streamed to verifiers (seconds): at least the longest
     * time a verifier caches a key's answer (default 300).
     */
    changeRetention?: number;
    /** Milliseconds between usage and audit batches (default 5000). */
    flushIntervalMs?: number;
    cache?: Omit<ApiKeyCacheDeps, 'store' | 'bus'>;
  };
}

/** Who asked, for the audit trail. */
export interface ActionContext {
  /** `admin` unless told otherwise. */
  actor?: string;
  requestId?: string | null;
}

/** What a new key is made of (internal, camelCase; the HTTP layer maps the wire names). */
export interface NewApiKeyInput {
  name: string;
  /** A client id (`cli_…`) or a user id (`usr_…`) that exists. */
  owner: string;
  scope?: string[];
  audiences?: string[];
  meta?: Record<string, unknown>;
  rateLimit?: RateLimitSpec | null;
  /** Seconds since the epoch; null or absent for no expiry. */
  expiresAt?: number | null;
  /** RFC 9449: bind the key to this DPoP key thumbprint (only a proof by that key makes it work). */
  dpopJkt?: string;
  /** What the key's anomalies lead to; default from the options (`apiKeys.anomalyPolicy`). */
  anomalyPolicy?: ApiKeyAnomalyPolicy;
}

export type ApiKeyUpdate = Partial<
  Pick<NewApiKeyInput, 'name' | 'scope' | 'audiences' | 'meta' | 'rateLimit' | 'expiresAt' | 'anomalyPolicy'>
>;

export interface MintedApiKey {
  /** The key itself (`tsr_key_…`): shown once, never stored. */
  key: string;
  record: ApiKeyRecord;
}

export interface RotatedApiKey extends MintedApiKey {
  /** The old key as it is now: it stops working at its `expiresAt` (or at once when revoked). */
  previous: ApiKeyRecord;
}

export interface VerifyOptions {
  /** Who asked (a client id), for the audit of rejections. */
  actor?: string;
  /** The caller's address and the endpoint, for the key's anomaly policy. */
  context?: KeyUseContext;
}

export interface KeyCheck {
  result: ApiKeyVerification;
  /** Set when the key is genuine (valid or not). */
  record: ApiKeyRecord | undefined;
}

export interface ApiKeyService {
  create(input: NewApiKeyInput, context?: ActionContext): Promise<MintedApiKey>;
  list(filter: {
    owner?: string;
    /** Only keys with open alerts. */
    anomalous?: boolean;
    limit?: number;
    cursor?: string;
  }): Promise<Page<ApiKeyRecord>>;
  /** The key, or `not_found` (404). */
  get(id: string): Promise<ApiKeyRecord>;
  update(id: string, update: ApiKeyUpdate, context?: ActionContext): Promise<ApiKeyRecord>;
  disable(id: string, context?: ActionContext): Promise<ApiKeyRecord>;
  enable(id: string, context?: ActionContext): Promise<ApiKeyRecord>;
  revoke(id: string, context?: ActionContext): Promise<ApiKeyRecord>;
  /**
   * Revokes every live key of `owner` (a deleted user or client), each streamed to verifiers like
   * any revocation; returns how many were revoked.
   */
  revokeOwnedBy(owner: string, context?: ActionContext): Promise<number>;
  /** Closes the key's open alerts (anomalies recorded so far); audited. */
  acknowledgeAnomalies(id: string, context?: ActionContext): Promise<ApiKeyRecord>;
  /** `grace` in seconds (0 = the old key stops at once); default from the options (24 h). */
  rotate(id: string, options?: { grace?: number }, context?: ActionContext): Promise<RotatedApiKey>;
  /**
   * The wire answer of a verification: the answer itself when the key (and its owner) are in
   * memory, else a promise of it (`await` it either way).
   */
  verify(key: unknown, options?: VerifyOptions): ApiKeyVerification | Promise<ApiKeyVerification>;
  /** The same check, also returning the key's record when the key is genuine (for introspection). */
  check(key: unknown, options?: VerifyOptions): KeyCheck | Promise<KeyCheck>;
  /** Writes collected usage and rejection audit now. */
  flush(): Promise<void>;
  /** Stops timers and bus subscriptions and flushes (graceful shutdown). */
  close(): Promise<void>;
}

export function createApiKeyService(deps: ApiKeyServiceDeps): ApiKeyService {
  const { store, clock } = deps;
  const options = deps.options ?? {};
  const cache: ApiKeyCache = createApiKeyCache({ store, bus: deps.bus, ...options.cache });
  // Each refers to the other only when called: anomalies go out, and profiles are written, with the usage.
  const anomalies = createKeyAnomalies({
    geo: deps.geo ?? noGeo,
    nowMs: () => clock.nowMs(),
    audit: deps.audit,
    record: (id, recorded) => usage.anomalies(id, recorded),
    ...(options.anomalies === undefined ? {} : { profiler: options.anomalies }),
  });
  const usage = createUsageRecorder({ store, logger: deps.logger, profileOf: anomalies.profileOf });
  const rejections = createRejectionAuditor({ audit: deps.audit });
  const writes = createKeyWrites({
    store,
    cache,
    bus: deps.bus,
    audit: deps.audit,
    revocations: deps.revocations,
    revocationRetention: options.revocationRetention ?? 86_400,
    changeRetention: options.changeRetention ?? 300,
    credentialChanges: deps.credentialChanges,
  });
  const lifecycle = createKeyLifecycle({
    store,
    clock,
    writes,
    owners: createOwnerPolicy({ store }),
    anomalyPolicy: options.anomalyPolicy ?? 'flag',
  });
  const rotate = createKeyRotation({
    store,
    clock,
    writes,
    rotationGrace: options.rotationGrace ?? DEFAULT_ROTATION_GRACE,
  });
  const check = createKeyCheck({
    store,
    cache,
    clock,
    usage,
    rejections,
    isOwnerActive: deps.isOwnerActive,
    anomalies,
    async autoDisable(record, kinds) {
      try {
        const now = clock.now();
        const disabled = await store.updateApiKey(record.id, { disabled: true }, now);
        writes.publishChange(disabled);
        writes.recordAudit('api_key.auto_disabled', disabled, { anomalies: kinds }, { actor: 'system' });
        await writes.streamChange(disabled, now);
      } catch (error) {
        // The use is refused all the same. A failed write leaves the key as it was (it may be caught
        // again); a failed stream write leaves verifiers to their cache TTL.
        deps.logger.error({ err: error, keyId: record.id }, 'api key auto-disable failed');
      }
    },
  });

  function verified({ result }: KeyCheck): ApiKeyVerification {
    deps.onVerified?.(result.valid ? 'valid' : (result.code ?? 'invalid'));
    return result;
  }

  const timer = setInterval(() => {
    rejections.flush();
    anomalies.flush();
    void usage.flush();
  }, options.flushIntervalMs ?? 5000);
  timer.unref();
  // Expired rate-limit counters are purged by the maintenance job (maintenance/).
  let closed = false;

  return {
    ...lifecycle,
    rotate,

    verify(key, verifyOptions) {
      const checked = check(key, verifyOptions);
      return checked instanceof Promise ? checked.then(verified) : verified(checked);
    },

    check,

    async flush() {
      rejections.flush();
      anomalies.flush();
      await usage.flush();
    },

    async close() {
      if (closed) {
        return;
      }
      closed = true;
      clearInterval(timer);
      cache.close();
      rejections.flush();
      anomalies.flush();
      await usage.flush();
    },
  };
}
