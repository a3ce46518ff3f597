/**
 * Rotation ("reroll"): a new key with the same settings replaces the old one, which keeps working
 * for a grace period (0 = revoked at once, so verifiers that cached it drop it too). An expiring
 * key keeps its lifetime, counted from now. Only the latest key of a chain can be rotated.
 */
import { OAuthError, parseSecret } from '@tessera/protocol';
import type { Clock } from '../../clock.js';
import { hashSecret, mintSecret, newId } from '../../ids.js';
import type { ApiKeyRecord, ApiKeyStore } from '../../store/ports.js';
import type { ActionContext, RotatedApiKey } from './api-key-service.js';
import type { KeyWrites } from './key-writes.js';

/** Default grace of a rotated ("rerolled") key: the old one keeps working this long. */
export const DEFAULT_ROTATION_GRACE = 86_400;
export const MAX_ROTATION_GRACE = 30 * 86_400;

export interface KeyRotationDeps {
  store: Pick<ApiKeyStore, 'rotateApiKey'>;
  clock: Clock;
  writes: Pick<
    KeyWrites,
    'loadChangeable' | 'writing' | 'publishChange' | 'streamChange' | 'recordAudit' | 'revokeRecord'
  >;
  /** Seconds the old key keeps working when the caller gives no grace. */
  rotationGrace: number;
}

/** `grace` in seconds (0 = the old key stops at once). */
export type RotateKey = (
  id: string,
  options?: { grace?: number },
  context?: ActionContext,
) => Promise<RotatedApiKey>;

export function createKeyRotation(deps: KeyRotationDeps): RotateKey {
  const { store, clock, writes, rotationGrace } = deps;
  const { loadChangeable, writing, publishChange, streamChange, recordAudit, revokeRecord } = writes;

  return async function rotate(id, rotateOptions = {}, context) {
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
      // The policy and the learned profile carry over (same caller); recorded anomalies do not.
      anomalies: [],
      lastAnomalyAt: null,
      anomaliesAcknowledgedAt: null,
    };
    let previous = await writing(id, () => store.rotateApiKey(id, next, now + grace));
    publishChange(previous);
    publishChange(next);
    if (grace === 0) {
      // "0 = at once": revoke, so verifiers that cached the old key drop it too.
      previous = await revokeRecord(id, now, context?.actor);
    } else {
      // The old key now ends with the grace: verifiers forget the `exp` they cached for it.
      await streamChange(previous, now);
    }
    recordAudit(
      'api_key.rotated',
      next,
      { previous: previous.id, grace, previous_expires_at: previous.expiresAt },
      context,
    );
    return { key, record: next, previous };
  };
}
