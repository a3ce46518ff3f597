/**
 * Where the BFF's (already encrypted) session records live: an interface with compare-and-swap
 * writes, and the in-memory default. `createSqliteSessionBackend` is the persistent option;
 * anything else (Redis, PostgreSQL) implements the same four methods.
 */

/**
 * One stored record: opaque sealed text, its version, its expiry (seconds since the epoch).
 *
 * @example
 * ```ts
 * const record = await backend.get(key); // { data: 'v1.…', version: 2, expiresAt: 1700003600 }
 * ```
 */
export interface SessionRecord {
  data: string;
  version: number;
  expiresAt: number;
}

/**
 * Storage for session records. `put` must be atomic: it writes only when the current version is
 * `expectedVersion` (`undefined`: only when absent) and resolves with the new version, else
 * `undefined`.
 *
 * @example
 * ```ts
 * const version = await backend.put(key, undefined, sealed, expiresAt, now); // 1, or undefined if the key exists
 * ```
 */
export interface SessionBackend {
  /** The live record (not expired at `now`), if any. */
  get(key: string, now: number): Promise<SessionRecord | undefined>;
  put(
    key: string,
    expectedVersion: number | undefined,
    data: string,
    expiresAt: number,
    now: number,
  ): Promise<number | undefined>;
  delete(key: string): Promise<void>;
}

/**
 * The default backend: a Map in this process (sessions end when it restarts; one process only).
 *
 * @example
 * ```ts
 * const bff = createBff({ ...options, sessions: createMemorySessionBackend() });
 * ```
 */
export function createMemorySessionBackend(): SessionBackend {
  const records = new Map<string, SessionRecord>();
  let writes = 0;
  function sweep(now: number): void {
    for (const [key, record] of records) {
      if (record.expiresAt <= now) {
        records.delete(key);
      }
    }
  }
  return {
    async get(key, now) {
      const record = records.get(key);
      return record !== undefined && record.expiresAt > now ? record : undefined;
    },
    async put(key, expectedVersion, data, expiresAt, now) {
      // Synchronous between read and write: atomic on the event loop.
      const current = records.get(key);
      const live = current !== undefined && current.expiresAt > now ? current : undefined;
      if (live?.version !== expectedVersion) {
        return undefined;
      }
      const version = (live?.version ?? 0) + 1;
      records.set(key, { data, version, expiresAt });
      if (++writes % 1000 === 0) {
        sweep(now);
      }
      return version;
    },
    async delete(key) {
      records.delete(key);
    },
  };
}
