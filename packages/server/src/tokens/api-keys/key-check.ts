/**
 * Verification of a presented key, the hot path (DESIGN §4): checksum first (no store access for
 * garbage), then one SHA-256 and a cache lookup; revoked, expired, disabled and owner checks; only
 * keys with a rate limit touch the database, with one atomic counter upsert shared by every node.
 * Usage is collected for a batched write and rejections for an aggregated audit.
 */
import { timingSafeEqual } from 'node:crypto';
import { parseSecret } from '@tessera/protocol';
import type { Clock } from '../../clock.js';
import { hashSecret } from '../../ids.js';
import type { ApiKeyRecord, RateLimitStore } from '../../store/ports.js';
import type { ApiKeyCache } from './api-key-cache.js';
import type { KeyCheck, VerifyOptions } from './api-key-service.js';
import {
  type ApiKeyRateLimitState,
  type ApiKeyRejectionCode,
  type ApiKeyVerification,
  KEY_NOT_FOUND,
  shareAnswer,
} from './api-key-verification.js';
import type { KeyAnomalies } from './key-anomalies.js';
import { rateLimitState } from './rate-limit-state.js';
import type { RejectionAuditor } from './rejection-auditor.js';
import type { UsageRecorder } from './usage-recorder.js';

export interface KeyCheckDeps {
  store: Pick<RateLimitStore, 'consumeRateLimit'>;
  cache: Pick<ApiKeyCache, 'get'>;
  clock: Clock;
  usage: Pick<UsageRecorder, 'record'>;
  rejections: Pick<RejectionAuditor, 'note'>;
  /** False when the key's owner can no longer act; must be served from memory. */
  isOwnerActive?: ((owner: string) => Promise<boolean>) | undefined;
  /** Judges a valid use against the key's usage profile and its anomaly policy. */
  anomalies?: Pick<KeyAnomalies, 'judge'> | undefined;
  /** Disables a key its `disable` policy caught (audited `api_key.auto_disabled`). */
  autoDisable?: ((record: ApiKeyRecord, anomalies: string[]) => Promise<void>) | undefined;
}

/** Checks a presented key; also returns its record when the key is genuine (for introspection). */
export type CheckKey = (key: unknown, options?: VerifyOptions) => Promise<KeyCheck>;

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function createKeyCheck(deps: KeyCheckDeps): CheckKey {
  const { store, cache, clock, usage, rejections } = deps;

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

  /**
   * The answer for a key without a rate limit depends on the record alone, so it is built once per
   * record (a changed key is a new record: the cache drops the old one on every change) and shared
   * (`shareAnswer`: nobody changes it; the verify route serialises it once).
   */
  const unlimited = new WeakMap<ApiKeyRecord, ApiKeyVerification>();

  function describeUnlimited(record: ApiKeyRecord): ApiKeyVerification {
    let answer = unlimited.get(record);
    if (answer === undefined) {
      answer = shareAnswer(describe(record, null));
      unlimited.set(record, answer);
    }
    return answer;
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
      ...(record.dpopJkt === null ? {} : { cnf: { jkt: record.dpopJkt } }),
    };
  }

  return async function check(key: unknown, verifyOptions: VerifyOptions = {}): Promise<KeyCheck> {
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
    const judged = deps.anomalies?.judge(record, verifyOptions.context ?? {}, actor);
    const anomalies = judged?.anomalies.map((anomaly) => anomaly.kind) ?? [];
    if (judged?.action === 'deny') {
      return {
        result: { valid: false, code: 'anomaly', key_id: record.id, owner: record.owner, anomalies },
        record,
      };
    }
    if (judged?.action === 'disable') {
      await deps.autoDisable?.(record, anomalies);
      return {
        result: { valid: false, code: 'disabled', key_id: record.id, owner: record.owner, anomalies },
        record,
      };
    }
    usage.record(record.id, now);
    const result = rateLimit === null ? describeUnlimited(record) : describe(record, rateLimit);
    return { result: anomalies.length === 0 ? result : { ...result, anomalies }, record };
  };
}
