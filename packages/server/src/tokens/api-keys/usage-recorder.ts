/**
 * Last-used time and usage counts of API keys, collected in memory and written in one
 * `touchApiKeys` call per interval (DESIGN §3: "written in batches, never on the hot path"). A failed
 * write puts its counts back for the next one; `close()` writes what is left (graceful shutdown).
 */
import type { Logger } from '../../log.js';
import type { ApiKeyStore, ApiKeyUsage } from '../../store/ports.js';

export interface UsageRecorder {
  record(keyId: string, at: number): void;
  /** Writes the collected usage now (one store call); resolves when written. */
  flush(): Promise<void>;
  /** Usage collected and not yet written, by key id. */
  pending(keyId: string): number;
}

export interface UsageRecorderDeps {
  store: Pick<ApiKeyStore, 'touchApiKeys'>;
  logger: Pick<Logger, 'error'>;
}

export function createUsageRecorder(deps: UsageRecorderDeps): UsageRecorder {
  let batch = new Map<string, ApiKeyUsage>();
  let writing: Promise<void> = Promise.resolve();

  function merge(usage: ApiKeyUsage): void {
    const current = batch.get(usage.id);
    if (current === undefined) {
      batch.set(usage.id, { ...usage });
    } else {
      current.count += usage.count;
      current.lastUsedAt = Math.max(current.lastUsedAt, usage.lastUsedAt);
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
      merge({ id: keyId, lastUsedAt: at, count: 1 });
    },
    flush() {
      if (batch.size > 0) {
        const items = [...batch.values()];
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
