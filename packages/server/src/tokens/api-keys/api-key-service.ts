/**
 * API keys (issue 4): minted once, stored as SHA-256, scoped, rate-limited, rotated and revoked in
 * real time. Framework-free: the HTTP layer parses requests into these calls.
 *
 * Lifecycle writes are validated whole before anything is written, published on the bus
 * (`api_key.updated`, so every node's cache drops the key at once) and audited. Revocation also goes
 * through {@link Revocations}, so it is streamed to verifiers like a token revocation (DESIGN §5).
 *
 * Verification is the hot path (DESIGN §4): checksum first (no store access for garbage), then one
 * SHA-256 and a cache lookup; usage is written in batches; only keys with a rate limit touch the
 * database, with one atomic counter upsert shared by every node.
 */
import { timingSafeEqual } from 'node:crypto';
import { isScopeToken, missingScopes, OAuthError, parseSecret } from '@tessera/protocol';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import type { EventBus } from '../../events/bus.js';
import { hashSecret, mintSecret, newId } from '../../ids.js';
import type { Logger } from '../../log.js';
import type {
  ApiKeyPatch,
  ApiKeyRecord,
  ApiKeyStore,
  ClientStore,
  Page,
  RateLimitSpec,
  RateLimitStore,
  UserStore,
} from '../../store/ports.js';
import { NotFoundError } from '../../store/ports.js';
import type { Revocations } from '../revocations.js';
import { type ApiKeyCache, type ApiKeyCacheDeps, createApiKeyCache } from './api-key-cache.js';
import {
  type ApiKeyRateLimitState,
  type ApiKeyRejectionCode,
  type ApiKeyVerification,
  KEY_NOT_FOUND,
} from './api-key-verification.js';
import { assertRateLimitSpec } from './rate-limit-spec.js';
import { createRejectionAuditor } from './rejection-auditor.js';
import { createUsageRecorder } from './usage-recorder.js';

/** Default grace of a rotated ("rerolled") key: the old one keeps working this long. */
export const DEFAULT_ROTATION_GRACE = 86_400;
export const MAX_ROTATION_GRACE = 30 * 86_400;
/** Largest page a list returns. */
export const MAX_API_KEY_PAGE = 100;
const MAX_NAME_LENGTH = 200;
const MAX_META_BYTES = 8192;
const MAX_SCOPES = 100;
const MAX_AUDIENCES = 20;
const MAX_SCOPE_TOKEN = 200;

export interface ApiKeyServiceDeps {
  store: ApiKeyStore & RateLimitStore & Pick<ClientStore, 'findClient'> & Pick<UserStore, 'findUser'>;
  revocations: Pick<Revocations, 'revoke'>;
  bus: Pick<EventBus, 'publish' | 'subscribe'>;
  clock: Clock;
  audit: Pick<AuditLog, 'record'>;
  logger: Pick<Logger, 'error'>;
  /**
   * False when the key's owner can no longer act (a disabled or deleted client or user): its keys
   * then answer `disabled`. Must be served from memory (main.ts passes `owner-status.ts`).
   */
  isOwnerActive?: (owner: string) => Promise<boolean>;
  options?: {
    /** Seconds the old key keeps working after a rotation with no grace given (default 24 h). */
    rotationGrace?: number;
    /**
     * How long a key revocation is streamed to verifiers (seconds): as long as a verifier may cache
     * a key's answer. Never longer than the key's own expiry.
     */
    revocationRetention?: number;
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
}

export type ApiKeyUpdate = Partial<
  Pick<NewApiKeyInput, 'name' | 'scope' | 'audiences' | 'meta' | 'rateLimit' | 'expiresAt'>
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
}

export interface KeyCheck {
  result: ApiKeyVerification;
  /** Set when the key is genuine (valid or not). */
  record: ApiKeyRecord | undefined;
}

export interface ApiKeyService {
  create(input: NewApiKeyInput, context?: ActionContext): Promise<MintedApiKey>;
  list(filter: { owner?: string; limit?: number; cursor?: string }): Promise<Page<ApiKeyRecord>>;
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
  /** `grace` in seconds (0 = the old key stops at once); default from the options (24 h). */
  rotate(id: string, options?: { grace?: number }, context?: ActionContext): Promise<RotatedApiKey>;
  /** The wire answer of a verification. */
  verify(key: unknown, options?: VerifyOptions): Promise<ApiKeyVerification>;
  /** The same check, also returning the key's record when the key is genuine (for introspection). */
  check(key: unknown, options?: VerifyOptions): Promise<KeyCheck>;
  /** Writes collected usage and rejection audit now. */
  flush(): Promise<void>;
  /** Stops timers and bus subscriptions and flushes (graceful shutdown). */
  close(): Promise<void>;
}

function notFound(id: string): OAuthError {
  return OAuthError.notFound('No such API key', { cause: `api key ${id}` });
}

function isApiKeyId(id: string): boolean {
  return /^key_[A-Za-z0-9_-]{1,64}$/.test(id);
}

function assertName(name: unknown): string {
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > MAX_NAME_LENGTH) {
    throw OAuthError.invalidRequest(`name must be 1 to ${MAX_NAME_LENGTH} characters`);
  }
  return name;
}

function assertScope(scope: readonly string[]): string[] {
  if (scope.length > MAX_SCOPES) {
    throw OAuthError.invalidScope(`A key carries at most ${MAX_SCOPES} scopes`);
  }
  for (const token of scope) {
    if (!isScopeToken(token) || token.length > MAX_SCOPE_TOKEN) {
      throw OAuthError.invalidScope('The scope is malformed (RFC 6749 section 3.3)');
    }
  }
  return [...new Set(scope)];
}

/** RFC 8707 §2: an absolute URI without a fragment. */
function assertAudiences(audiences: readonly string[]): string[] {
  if (audiences.length > MAX_AUDIENCES) {
    throw OAuthError.invalidTarget(`A key names at most ${MAX_AUDIENCES} audiences`);
  }
  for (const uri of audiences) {
    let ok = uri.length > 0 && uri.length <= 2000 && /^[\x21-\x7E]+$/.test(uri) && !uri.includes('#');
    if (ok) {
      try {
        new URL(uri);
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      throw OAuthError.invalidTarget(
        'Each audience must be an absolute URI without a fragment (RFC 8707 section 2)',
      );
    }
  }
  return [...new Set(audiences)];
}

function assertMeta(meta: unknown): Record<string, unknown> {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw OAuthError.invalidRequest('meta must be a JSON object');
  }
  if (Buffer.byteLength(JSON.stringify(meta)) > MAX_META_BYTES) {
    throw OAuthError.invalidRequest(`meta must be at most ${MAX_META_BYTES} bytes of JSON`);
  }
  return meta as Record<string, unknown>;
}

function assertExpiresAt(expiresAt: number | null, now: number): number | null {
  if (expiresAt === null) {
    return null;
  }
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= now) {
    throw OAuthError.invalidRequest('The expiry must be a time in the future');
  }
  return expiresAt;
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function createApiKeyService(deps: ApiKeyServiceDeps): ApiKeyService {
  const { store, clock } = deps;
  const options = deps.options ?? {};
  const rotationGrace = options.rotationGrace ?? DEFAULT_ROTATION_GRACE;
  const revocationRetention = options.revocationRetention ?? 86_400;
  const cache: ApiKeyCache = createApiKeyCache({ store, bus: deps.bus, ...options.cache });
  const usage = createUsageRecorder({ store, logger: deps.logger });
  const rejections = createRejectionAuditor({ audit: deps.audit });

  function recordAudit(
    type: string,
    record: ApiKeyRecord,
    data: Record<string, unknown>,
    context?: ActionContext,
  ): void {
    deps.audit.record({
      type,
      actor: context?.actor ?? 'admin',
      subject: record.id,
      data: { start: record.start, owner: record.owner, ...data },
      requestId: context?.requestId ?? null,
    });
  }

  function publishChange(record: ApiKeyRecord): void {
    cache.invalidate({ hash: record.hash, keyId: record.id });
    deps.bus.publish('api_key.updated', { keyId: record.id, hash: record.hash });
  }

  /** The owner must exist; a client owner bounds the key's scope and audiences (one permission model). */
  async function assertOwnerAllows(owner: string, scope: string[], audiences: string[]): Promise<void> {
    if (owner.startsWith('cli_')) {
      const client = await store.findClient(owner);
      if (client === undefined) {
        throw OAuthError.invalidRequest('owner is not an existing client or user');
      }
      const extra = missingScopes(scope, client.scope);
      if (extra.length > 0) {
        throw OAuthError.invalidScope(`Scope not allowed for the owning client: ${extra.join(' ')}`);
      }
      const resources = new Set(client.audiences);
      if (client.audiences.length > 0 && audiences.some((uri) => !resources.has(uri))) {
        throw OAuthError.invalidTarget('Audience not allowed for the owning client');
      }
      return;
    }
    if (owner.startsWith('usr_') && (await store.findUser(owner)) !== undefined) {
      return;
    }
    throw OAuthError.invalidRequest('owner is not an existing client or user');
  }

  async function load(id: string): Promise<ApiKeyRecord> {
    const record = isApiKeyId(id) ? await store.findApiKey(id) : undefined;
    if (record === undefined) {
      throw notFound(id);
    }
    return record;
  }

  async function loadChangeable(id: string): Promise<ApiKeyRecord> {
    const record = await load(id);
    if (record.revokedAt !== null) {
      throw OAuthError.conflict('The API key is revoked and can no longer change');
    }
    return record;
  }

  /** Store writes that race with a delete surface as NotFoundError: answer 404, not 500. */
  async function writing<T>(id: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw notFound(id);
      }
      throw error;
    }
  }

  async function setDisabled(id: string, disabled: boolean, context?: ActionContext): Promise<ApiKeyRecord> {
    await loadChangeable(id);
    const record = await writing(id, () => store.updateApiKey(id, { disabled }, clock.now()));
    publishChange(record);
    recordAudit(disabled ? 'api_key.disabled' : 'api_key.enabled', record, {}, context);
    return record;
  }

  /** Revokes in the store, then streams the revocation to verifiers (DESIGN §5). */
  async function revokeRecord(id: string, now: number): Promise<ApiKeyRecord> {
    const record = await writing(id, () => store.revokeApiKey(id, now));
    publishChange(record);
    const until = Math.max(
      now + 1,
      Math.min(record.expiresAt ?? Number.POSITIVE_INFINITY, now + revocationRetention),
    );
    await deps.revocations.revoke({ type: 'api_key', value: id }, until);
    return record;
  }

  function rateLimitState(
    spec: RateLimitSpec,
    result: { count: number; previousCount: number; windowStart: number; allowed: boolean },
    now: number,
  ): ApiKeyRateLimitState {
    const windowEnd = result.windowStart + spec.window;
    let used = result.count;
    let reset = Math.max(1, windowEnd - now);
    if (spec.kind === 'sliding') {
      used += Math.floor((result.previousCount * (windowEnd - now)) / spec.window);
      const room = spec.limit - result.count;
      if (!result.allowed && room > 0 && result.previousCount > 0) {
        // The earliest second at which the weighted previous window leaves room for one more.
        const at = Math.floor(windowEnd - (room * spec.window) / result.previousCount) + 1;
        reset = Math.max(1, Math.min(reset, at - now));
      }
    }
    return {
      limit: spec.limit,
      remaining: result.allowed ? Math.max(0, spec.limit - used) : 0,
      reset,
      window: spec.window,
      kind: spec.kind,
    };
  }

  function reject(
    code: ApiKeyRejectionCode,
    start: string | null,
    actor: string,
    record?: ApiKeyRecord,
  ): KeyCheck {
    rejections.note({ actor, reason: code, start, keyId: record?.id });
    if (record === undefined) {
      return { result: { ...KEY_NOT_FOUND }, record: undefined };
    }
    return { result: { valid: false, code, key_id: record.id, owner: record.owner }, record };
  }

  function describe(record: ApiKeyRecord, rateLimit: ApiKeyRateLimitState | null): ApiKeyVerification {
    return {
      valid: true,
      key_id: record.id,
      owner: record.owner,
      name: record.name,
      scope: record.scope.join(' '),
      audiences: [...record.audiences],
      meta: record.meta,
      expires_at: record.expiresAt,
      rate_limit: rateLimit,
    };
  }

  async function check(key: unknown, verifyOptions: VerifyOptions = {}): Promise<KeyCheck> {
    const actor = verifyOptions.actor ?? 'anonymous';
    // DESIGN §3: a malformed key or a bad checksum is refused before any store access.
    const parsed = typeof key === 'string' ? parseSecret(key, 'key') : undefined;
    if (parsed === undefined || typeof key !== 'string') {
      return reject('not_found', null, actor);
    }
    const hash = hashSecret(key);
    const record = await cache.get(hash);
    if (record === undefined || !sameHash(record.hash, hash)) {
      return reject('not_found', parsed.start, actor);
    }
    const now = clock.now();
    if (record.revokedAt !== null) {
      return reject('revoked', parsed.start, actor, record);
    }
    if (record.expiresAt !== null && record.expiresAt <= now) {
      return reject('expired', parsed.start, actor, record);
    }
    if (record.disabled || (deps.isOwnerActive !== undefined && !(await deps.isOwnerActive(record.owner)))) {
      return reject('disabled', parsed.start, actor, record);
    }
    let rateLimit: ApiKeyRateLimitState | null = null;
    const spec = record.rateLimit;
    if (spec !== null) {
      // Only limited keys touch the database here: one atomic counter shared by every node.
      const result = await store.consumeRateLimit({
        key: `api_key:${record.id}`,
        limit: spec.limit,
        window: spec.window,
        kind: spec.kind,
        now,
      });
      rateLimit = rateLimitState(spec, result, now);
      if (!result.allowed) {
        rejections.note({ actor, reason: 'rate_limited', start: parsed.start, keyId: record.id });
        return { result: { ...describe(record, rateLimit), valid: false, code: 'rate_limited' }, record };
      }
    }
    usage.record(record.id, now);
    return { result: describe(record, rateLimit), record };
  }

  const timer = setInterval(() => {
    rejections.flush();
    void usage.flush();
  }, options.flushIntervalMs ?? 5000);
  timer.unref();
  // Expired rate-limit counters are purged by the maintenance job (maintenance/).
  let closed = false;

  return {
    async create(input, context) {
      const now = clock.now();
      const name = assertName(input.name);
      if (typeof input.owner !== 'string' || input.owner.length === 0) {
        throw OAuthError.invalidRequest('owner is required: a client id (cli_…) or a user id (usr_…)');
      }
      const scope = assertScope(input.scope ?? []);
      const audiences = assertAudiences(input.audiences ?? []);
      const meta = assertMeta(input.meta ?? {});
      const rateLimit =
        input.rateLimit === undefined || input.rateLimit === null
          ? null
          : assertRateLimitSpec(input.rateLimit);
      const expiresAt = assertExpiresAt(input.expiresAt ?? null, now);
      await assertOwnerAllows(input.owner, scope, audiences);

      const key = mintSecret('key');
      const parsed = parseSecret(key, 'key');
      if (parsed === undefined) {
        throw OAuthError.serverError('Minted an unparsable key');
      }
      const record: ApiKeyRecord = {
        id: newId('key'),
        hash: hashSecret(key),
        start: parsed.start,
        name,
        owner: input.owner,
        scope,
        audiences,
        meta,
        rateLimit,
        createdAt: now,
        updatedAt: now,
        expiresAt,
        disabled: false,
        revokedAt: null,
        replacedBy: null,
        lastUsedAt: null,
        usageCount: 0,
      };
      await store.insertApiKey(record);
      publishChange(record);
      recordAudit(
        'api_key.created',
        record,
        { name, scope: scope.join(' '), expires_at: expiresAt },
        context,
      );
      return { key, record };
    },

    async list(filter) {
      const limit = Math.min(MAX_API_KEY_PAGE, Math.max(1, filter.limit ?? 50));
      try {
        return await store.listApiKeys({
          limit,
          ...(filter.owner === undefined ? {} : { owner: filter.owner }),
          ...(filter.cursor === undefined ? {} : { cursor: filter.cursor }),
        });
      } catch (error) {
        if (error instanceof RangeError) {
          throw OAuthError.invalidRequest('The cursor is malformed', { cause: error });
        }
        throw error;
      }
    },

    get: load,

    async update(id, update, context) {
      const current = await loadChangeable(id);
      const now = clock.now();
      const patch: ApiKeyPatch = {};
      if (update.name !== undefined) {
        patch.name = assertName(update.name);
      }
      if (update.scope !== undefined) {
        patch.scope = assertScope(update.scope);
      }
      if (update.audiences !== undefined) {
        patch.audiences = assertAudiences(update.audiences);
      }
      if (update.meta !== undefined) {
        patch.meta = assertMeta(update.meta);
      }
      if (update.rateLimit !== undefined) {
        patch.rateLimit = update.rateLimit === null ? null : assertRateLimitSpec(update.rateLimit);
      }
      if (update.expiresAt !== undefined) {
        patch.expiresAt = assertExpiresAt(update.expiresAt, now);
      }
      if (patch.scope !== undefined || patch.audiences !== undefined) {
        await assertOwnerAllows(
          current.owner,
          patch.scope ?? current.scope,
          patch.audiences ?? current.audiences,
        );
      }
      const record = await writing(id, () => store.updateApiKey(id, patch, now));
      publishChange(record);
      recordAudit('api_key.updated', record, { changed: Object.keys(patch) }, context);
      return record;
    },

    disable: (id, context) => setDisabled(id, true, context),
    enable: (id, context) => setDisabled(id, false, context),

    async revoke(id, context) {
      const current = await load(id);
      if (current.revokedAt !== null) {
        return current;
      }
      const record = await revokeRecord(id, clock.now());
      recordAudit('api_key.revoked', record, {}, context);
      return record;
    },

    async revokeOwnedBy(owner, context) {
      const now = clock.now();
      let revoked = 0;
      let cursor: string | undefined;
      do {
        const page = await store.listApiKeys({
          owner,
          limit: MAX_API_KEY_PAGE,
          ...(cursor === undefined ? {} : { cursor }),
        });
        for (const key of page.items) {
          if (key.revokedAt !== null) {
            continue;
          }
          const record = await revokeRecord(key.id, now);
          recordAudit('api_key.revoked', record, { reason: 'owner_deleted' }, context);
          revoked += 1;
        }
        cursor = page.next;
      } while (cursor !== undefined);
      return revoked;
    },

    async rotate(id, rotateOptions = {}, context) {
      const grace = rotateOptions.grace ?? rotationGrace;
      if (!Number.isSafeInteger(grace) || grace < 0 || grace > MAX_ROTATION_GRACE) {
        throw OAuthError.invalidRequest('grace must be from 0 seconds to 30 days');
      }
      const old = await loadChangeable(id);
      if (old.replacedBy !== null) {
        throw OAuthError.conflict('The API key was already rotated: rotate its replacement');
      }
      const now = clock.now();
      const key = mintSecret('key');
      const parsed = parseSecret(key, 'key');
      if (parsed === undefined) {
        throw OAuthError.serverError('Minted an unparsable key');
      }
      // Same settings; an expiring key keeps its lifetime, counted from now.
      const next: ApiKeyRecord = {
        ...old,
        id: newId('key'),
        hash: hashSecret(key),
        start: parsed.start,
        createdAt: now,
        updatedAt: now,
        expiresAt: old.expiresAt === null ? null : now + Math.max(1, old.expiresAt - old.createdAt),
        revokedAt: null,
        replacedBy: null,
        lastUsedAt: null,
        usageCount: 0,
      };
      let previous = await writing(id, () => store.rotateApiKey(id, next, now + grace));
      publishChange(previous);
      publishChange(next);
      if (grace === 0) {
        // "0 = at once": revoke, so verifiers that cached the old key drop it too.
        previous = await revokeRecord(id, now);
      }
      recordAudit(
        'api_key.rotated',
        next,
        { previous: previous.id, grace, previous_expires_at: previous.expiresAt },
        context,
      );
      return { key, record: next, previous };
    },

    async verify(key, verifyOptions) {
      return (await check(key, verifyOptions)).result;
    },

    check,

    async flush() {
      rejections.flush();
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
      await usage.flush();
    },
  };
}
