/**
 * How a lifecycle write reaches the store and the rest of the system: the key is loaded (404 for
 * an unknown id, 409 once revoked), written (a write that races with a delete answers 404, not
 * 500), published on the bus (`api_key.updated`, so every node's cache drops it at once) and
 * audited. A revocation is also streamed to verifiers like a token revocation (DESIGN §5); any other
 * change a verifier's cached answer could miss (disabled, enabled, scope or expiry changed) is
 * streamed as `api_key_changed`, which makes verifiers forget what they cached for the key.
 */
import { OAuthError } from '@tessera/protocol';
import type { AuditLog } from '../../audit/audit-log.js';
import type { EventBus } from '../../events/bus.js';
import type { ApiKeyRecord, ApiKeyStore } from '../../store/ports.js';
import { NotFoundError } from '../../store/ports.js';
import type { CredentialChanges } from '../credential-changes.js';
import type { Revocations } from '../revocations.js';
import type { ApiKeyCache } from './api-key-cache.js';
import type { ActionContext } from './api-key-service.js';

export interface KeyWritesDeps {
  store: Pick<ApiKeyStore, 'findApiKey' | 'revokeApiKey'>;
  cache: Pick<ApiKeyCache, 'invalidate'>;
  bus: Pick<EventBus, 'publish'>;
  audit: Pick<AuditLog, 'record'>;
  revocations: Pick<Revocations, 'revoke'>;
  /** Seconds a key revocation is streamed to verifiers (never longer than the key's own expiry). */
  revocationRetention: number;
  /**
   * Seconds an `api_key_changed` event stays on the stream: at least the longest time a verifier
   * caches an answer (`cache.introspectionTtl`), so one that reconnects later holds nothing older.
   */
  changeRetention: number;
  /** Tells verifiers of the owner's `credential-change` (CAEP `revoke` of an `api-key`). */
  credentialChanges?: Pick<CredentialChanges, 'changed'> | undefined;
}

export interface KeyWrites {
  /** The key, or `not_found` (404). */
  load(id: string): Promise<ApiKeyRecord>;
  /** The key, or `not_found` (404), or `conflict` (409) once it is revoked. */
  loadChangeable(id: string): Promise<ApiKeyRecord>;
  /** Runs a store write; a NotFoundError (a raced delete) becomes `not_found`. */
  writing<T>(id: string, write: () => Promise<T>): Promise<T>;
  /** Drops the key from this node's cache and tells every node (`api_key.updated`). */
  publishChange(record: ApiKeyRecord): void;
  /**
   * Streams `api_key_changed` to verifiers, so they forget the answers they cached for the key and
   * ask Tessera at its next use. Call after the write and {@link KeyWrites.publishChange}.
   */
  streamChange(record: ApiKeyRecord, now: number): Promise<void>;
  recordAudit(
    type: string,
    record: ApiKeyRecord,
    data: Record<string, unknown>,
    context?: ActionContext,
  ): void;
  /** Revokes in the store, then streams the revocation to verifiers (DESIGN §5). */
  revokeRecord(id: string, now: number, actor?: string): Promise<ApiKeyRecord>;
}

function notFound(id: string): OAuthError {
  return OAuthError.notFound('No such API key', { cause: `api key ${id}` });
}

function isApiKeyId(id: string): boolean {
  return /^key_[A-Za-z0-9_-]{1,64}$/.test(id);
}

export function createKeyWrites(deps: KeyWritesDeps): KeyWrites {
  const { store, cache, revocationRetention, changeRetention } = deps;

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

  async function streamChange(record: ApiKeyRecord, now: number): Promise<void> {
    // An expired key is refused whatever a verifier cached (its answer carries `exp`).
    const until = Math.max(
      now + 1,
      Math.min(record.expiresAt ?? Number.POSITIVE_INFINITY, now + changeRetention),
    );
    await deps.revocations.revoke({ type: 'api_key_changed', value: record.id }, until);
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

  /** Revokes in the store, then streams the revocation to verifiers (DESIGN §5). */
  async function revokeRecord(id: string, now: number, actor = 'admin'): Promise<ApiKeyRecord> {
    const record = await writing(id, () => store.revokeApiKey(id, now));
    publishChange(record);
    const until = Math.max(
      now + 1,
      Math.min(record.expiresAt ?? Number.POSITIVE_INFINITY, now + revocationRetention),
    );
    await deps.revocations.revoke({ type: 'api_key', value: id }, until);
    await deps.credentialChanges?.changed(
      { subject: record.owner, changeType: 'revoke', credentialType: 'api-key' },
      actor,
    );
    return record;
  }

  return { load, loadChangeable, writing, publishChange, streamChange, recordAudit, revokeRecord };
}
