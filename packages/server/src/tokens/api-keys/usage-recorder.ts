/**
 * Last-used time and usage counts of API keys, collected in memory and written in one
 * `touchApiKeys` call per interval (DESIGN §3: "written in batches, never on the hot path"), with
 * each used key's usage profile and the anomalies recorded for keys (key-anomalies.ts). A failed
 * write puts its counts back for the next one; `close()` writes what is left (graceful shutdown).
 */
import type { Logger } from '../../log.js';
import {
  API_KEY_ANOMALIES_KEPT,
  type ApiKeyAnomalyRecord,
  type ApiKeyStore,
  type ApiKeyUsage,
} from '../../store/ports.js';

export interface UsageRecorder {
  record(keyId: string, at: number): void;
  /** Anomalies to append to the key's list with the next batch (one per kind and value). */
  anomalies(keyId: string, anomalies: ApiKeyAnomalyRecord[]): void;
  /** Writes the collected usage now (one store call); resolves when written. */
  flush(): Promise<void>;
  /** Usage collected and not yet written, by key id. */
  pending(keyId: string): number;
}

export interface UsageRecorderDeps {
  store: Pick<ApiKeyStore, 'touchApiKeys'>;
  logger: Pick<Logger, 'error'>;
  /** The key's usage profile to write with its usage (undefined: leave the stored one). */
  profileOf?: (keyId: string) => string | undefined;
}

function addAnomalies(usage: ApiKeyUsage, added: readonly ApiKeyAnomalyRecord[]): void {
  const list = usage.anomalies ?? [];
  for (const anomaly of added) {
    const seen = list.some(
      (a) => a.kind === anomaly.kind && (a.kind === 'rate' || a.value === anomaly.value),
    );
    if (!seen && list.length < API_KEY_ANOMALIES_KEPT) {
      list.push(anomaly);
    }
  }
  usage.anomalies = list;
}

export function createUsageRecorder(deps: UsageRecorderDeps): UsageRecorder {
  let batch = new Map<string, ApiKeyUsage>();
  let writing: Promise<void> = Promise.resolve();

  function merge(usage: ApiKeyUsage): void {
    const current = batch.get(usage.id);
    if (current === undefined) {
      batch.set(usage.id, {
        ...usage,
        ...(usage.anomalies === undefined ? {} : { anomalies: [...usage.anomalies] }),
      });
    } else {
      current.count += usage.count;
      current.lastUsedAt = Math.max(current.lastUsedAt, usage.lastUsedAt);
      if (usage.profile !== undefined && current.profile === undefined) {
        current.profile = usage.profile;
      }
      if (usage.anomalies !== undefined) {
        addAnomalies(current, usage.anomalies);
      }
    }
  }

  async function write(items: ApiKeyUsage[]): Promise<void> {
    try {
      await deps.store.touchApiKeys(items);
    } catch (error) {
      deps.logger.error(
        { err: error, keys: items.length },
        'api key usage write failed; retrying with the next batch',
      );
      for (const usage of items) {
        merge(usage);
      }
    }
  }

  return {
    record(keyId, at) {
      // The hot path: one use of a key already in the batch allocates nothing.
      const current = batch.get(keyId);
      if (current === undefined) {
        batch.set(keyId, { id: keyId, lastUsedAt: at, count: 1 });
      } else {
        current.count += 1;
        if (at > current.lastUsedAt) {
          current.lastUsedAt = at;
        }
      }
    },
    anomalies(keyId, anomalies) {
      const usage: ApiKeyUsage = { id: keyId, lastUsedAt: 0, count: 0 };
      addAnomalies(usage, anomalies);
      merge(usage);
    },
    flush() {
      if (batch.size > 0) {
        const items = [...batch.values()];
        for (const item of items) {
          const profile = item.count > 0 ? deps.profileOf?.(item.id) : undefined;
          if (profile !== undefined) {
            item.profile = profile;
          }
        }
        batch = new Map();
        writing = writing.then(() => write(items));
      }
      return writing;
    },
    pending(keyId) {
      return batch.get(keyId)?.count ?? 0;
    },
  };
}
