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
import { type ApiKeyCache, NOT_CACHED } from './api-key-cache.js';
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
  cache: Pick<ApiKeyCache, 'get' | 'peek'>;
  clock: Clock;
  usage: Pick<UsageRecorder, 'record'>;
  rejections: Pick<RejectionAuditor, 'note'>;
  /** False when the key's owner can no longer act; from memory (a promise only when not cached). */
  isOwnerActive?: ((owner: string) => boolean | Promise<boolean>) | undefined;
  /** Judges a valid use against the key's usage profile and its anomaly policy. */
  anomalies?: Pick<KeyAnomalies, 'judge'> | undefined;
  /** Disables a key its `disable` policy caught (audited `api_key.auto_disabled`). */
  autoDisable?: ((record: ApiKeyRecord, anomalies: string[]) => Promise<void>) | undefined;
}

/**
 * Checks a presented key; also returns its record when the key is genuine (for introspection). The
 * answer comes without a promise when everything it needs is in memory.
 */
export type CheckKey = (key: unknown, options?: VerifyOptions) => KeyCheck | Promise<KeyCheck>;

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

  /**
   * The checks, in order. With the record (and its owner) in memory they run without a promise and
   * return the answer; only a load, an owner not in memory, a rate-limited key's counter or an
   * anomaly's auto-disable make it a promise. The same steps either way.
   */
  return function check(key: unknown, verifyOptions: VerifyOptions = {}): KeyCheck | Promise<KeyCheck> {
    const actor = verifyOptions.actor ?? 'anonymous';
    // DESIGN §3: a malformed key or a bad checksum is refused before any store access.
    const parsed = typeof key === 'string' ? parseSecret(key, 'key') : undefined;
    if (parsed === undefined || typeof key !== 'string') {
      return reject('not_found', null, actor);
    }
    const hash = hashSecret(key);
    const known = cache.peek(hash);
    if (known === NOT_CACHED) {
      return cache.get(hash).then((record) => checkRecord(record, hash, parsed.start, actor, verifyOptions));
    }
    return checkRecord(known, hash, parsed.start, actor, verifyOptions);
  };

  function checkRecord(
    record: ApiKeyRecord | undefined,
    hash: string,
    start: string,
    actor: string,
    verifyOptions: VerifyOptions,
  ): KeyCheck | Promise<KeyCheck> {
    if (record === undefined || !sameHash(record.hash, hash)) {
      return reject('not_found', start, actor);
    }
    const now = clock.now();
    if (record.revokedAt !== null) {
      return reject('revoked', start, actor, record);
    }
    if (record.expiresAt !== null && record.expiresAt <= now) {
      return reject('expired', start, actor, record);
    }
    if (record.disabled) {
      return reject('disabled', start, actor, record);
    }
    const active = deps.isOwnerActive === undefined ? true : deps.isOwnerActive(record.owner);
    if (active instanceof Promise) {
      return active.then((ownerActive) =>
        ownerActive
          ? checkUse(record, start, actor, verifyOptions, now)
          : reject('disabled', start, actor, record),
      );
    }
    return active
      ? checkUse(record, start, actor, verifyOptions, now)
      : reject('disabled', start, actor, record);
  }

  /** The key's own rate limit (only limited keys touch the database here), then the use itself. */
  function checkUse(
    record: ApiKeyRecord,
    start: string,
    actor: string,
    verifyOptions: VerifyOptions,
    now: number,
  ): KeyCheck | Promise<KeyCheck> {
    const spec = record.rateLimit;
    if (spec === null) {
      return judgeUse(record, null, actor, verifyOptions, now);
    }
    // One atomic counter shared by every node.
    return store
      .consumeRateLimit({
        key: `api_key:${record.id}`,
        limit: spec.limit,
        window: spec.window,
        kind: spec.kind,
        now,
      })
      .then((result) => {
        const rateLimit = rateLimitState(spec, result, now);
        if (!result.allowed) {
          rejections.note({ actor, reason: 'rate_limited', start, keyId: record.id });
          return { result: { ...describe(record, rateLimit), valid: false, code: 'rate_limited' }, record };
        }
        return judgeUse(record, rateLimit, actor, verifyOptions, now);
      });
  }

  /** The anomaly judge, then the usage record and the answer. */
  function judgeUse(
    record: ApiKeyRecord,
    rateLimit: ApiKeyRateLimitState | null,
    actor: string,
    verifyOptions: VerifyOptions,
    now: number,
  ): KeyCheck | Promise<KeyCheck> {
    const judged = deps.anomalies?.judge(record, verifyOptions.context ?? {}, actor);
    const anomalies = judged?.anomalies.map((anomaly) => anomaly.kind) ?? [];
    if (judged?.action === 'deny') {
      return {
        result: { valid: false, code: 'anomaly', key_id: record.id, owner: record.owner, anomalies },
        record,
      };
    }
    if (judged?.action === 'disable') {
      const disabled: KeyCheck = {
        result: { valid: false, code: 'disabled', key_id: record.id, owner: record.owner, anomalies },
        record,
      };
      return deps.autoDisable === undefined
        ? disabled
        : deps.autoDisable(record, anomalies).then(() => disabled);
    }
    usage.record(record.id, now);
    const result = rateLimit === null ? describeUnlimited(record) : describe(record, rateLimit);
    return { result: anomalies.length === 0 ? result : { ...result, anomalies }, record };
  }
}
