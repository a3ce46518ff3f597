/**
 * The lifecycle of a key apart from rotation: create (minted once, stored as SHA-256, shown once),
 * list, get, update, disable, enable and revoke, one key or every live key of an owner. Each write
 * is validated whole before anything is written (api-key-input.ts, owner-policy.ts), then goes
 * through {@link KeyWrites}: published on the bus, audited, and streamed to verifiers (a revocation
 * as `api_key`; a disable, enable or update as `api_key_changed`, so their caches forget the key).
 */
import { OAuthError, parseSecret } from '@tessera/protocol';
import type { Clock } from '../../clock.js';
import { hashSecret, mintSecret, newId } from '../../ids.js';
import type { ApiKeyAnomalyPolicy, ApiKeyPatch, ApiKeyRecord, ApiKeyStore } from '../../store/ports.js';
import {
  assertAnomalyPolicy,
  assertAudiences,
  assertExpiresAt,
  assertJkt,
  assertMeta,
  assertName,
  assertScope,
} from './api-key-input.js';
import type { ActionContext, ApiKeyService } from './api-key-service.js';
import type { KeyWrites } from './key-writes.js';
import type { OwnerPolicy } from './owner-policy.js';
import { assertRateLimitSpec } from './rate-limit-spec.js';

/** Largest page a list returns. */
export const MAX_API_KEY_PAGE = 100;

export interface KeyLifecycleDeps {
  store: Pick<ApiKeyStore, 'insertApiKey' | 'listApiKeys' | 'updateApiKey'>;
  clock: Clock;
  writes: KeyWrites;
  owners: OwnerPolicy;
  /** The policy of a key created without one (`apiKeys.anomalyPolicy`). */
  anomalyPolicy: ApiKeyAnomalyPolicy;
}

export type KeyLifecycle = Pick<
  ApiKeyService,
  | 'create'
  | 'list'
  | 'get'
  | 'update'
  | 'disable'
  | 'enable'
  | 'revoke'
  | 'revokeOwnedBy'
  | 'acknowledgeAnomalies'
>;

export function createKeyLifecycle(deps: KeyLifecycleDeps): KeyLifecycle {
  const { store, clock, writes, owners } = deps;
  const { load, loadChangeable, writing, publishChange, streamChange, recordAudit, revokeRecord } = writes;
  const { assertOwnerAllows } = owners;

  async function setDisabled(id: string, disabled: boolean, context?: ActionContext): Promise<ApiKeyRecord> {
    await loadChangeable(id);
    const now = clock.now();
    const record = await writing(id, () => store.updateApiKey(id, { disabled }, now));
    publishChange(record);
    await streamChange(record, now);
    recordAudit(disabled ? 'api_key.disabled' : 'api_key.enabled', record, {}, context);
    return record;
  }

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
      const anomalyPolicy = assertAnomalyPolicy(input.anomalyPolicy ?? deps.anomalyPolicy);
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
        dpopJkt: input.dpopJkt === undefined ? null : assertJkt(input.dpopJkt),
        anomalyPolicy,
        usageProfile: null,
        anomalies: [],
        lastAnomalyAt: null,
        anomaliesAcknowledgedAt: null,
      };
      await store.insertApiKey(record);
      publishChange(record);
      recordAudit(
        'api_key.created',
        record,
        { name, scope: scope.join(' '), expires_at: expiresAt, anomaly_policy: anomalyPolicy },
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
          ...(filter.anomalous === true ? { anomalous: true } : {}),
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
      if (update.anomalyPolicy !== undefined) {
        patch.anomalyPolicy = assertAnomalyPolicy(update.anomalyPolicy);
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
      // Scope, audiences, expiry, metadata: all in a verifier's cached answer.
      await streamChange(record, now);
      recordAudit('api_key.updated', record, { changed: Object.keys(patch) }, context);
      return record;
    },

    async acknowledgeAnomalies(id, context) {
      const current = await loadChangeable(id);
      const now = clock.now();
      // Open alerts are those recorded after this time: up to the newest one so far.
      const at = Math.max(now, current.lastAnomalyAt ?? 0);
      const record = await writing(id, () => store.updateApiKey(id, { anomaliesAcknowledgedAt: at }, now));
      publishChange(record);
      recordAudit('api_key.anomalies_acknowledged', record, { acknowledged_at: at }, context);
      return record;
    },

    disable: (id, context) => setDisabled(id, true, context),
    enable: (id, context) => setDisabled(id, false, context),

    async revoke(id, context) {
      const current = await load(id);
      if (current.revokedAt !== null) {
        return current;
      }
      const record = await revokeRecord(id, clock.now(), context?.actor);
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
          const record = await revokeRecord(key.id, now, context?.actor);
          recordAudit('api_key.revoked', record, { reason: 'owner_deleted' }, context);
          revoked += 1;
        }
        cursor = page.next;
      } while (cursor !== undefined);
      return revoked;
    },
  };
}
