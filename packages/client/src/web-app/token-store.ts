/**
 * Where a web app keeps each session's tokens. Refresh-token rotation (RFC 9700 §4.14) makes the
 * write security-relevant: after a refresh the OLD refresh token is dead, so the new one must be
 * stored, and a slower writer holding older tokens must never overwrite it. Hence
 * compare-and-swap on a version number instead of a plain `set`.
 */
import type { TokenSet } from './token-set.js';

/**
 * A stored {@link TokenSet} with its version (incremented by every successful swap).
 *
 * @example
 * ```ts
 * const stored = await store.get(sessionId);
 * stored?.version; // 3
 * ```
 */
export interface StoredTokens {
  tokens: TokenSet;
  version: number;
}

/**
 * Storage with compare-and-swap semantics. Implementations must make `compareAndSwap` atomic
 * (one SQL `UPDATE … WHERE version = ?`, a Redis `WATCH`/Lua script, a mutex in memory).
 *
 * @example
 * ```ts
 * const created = await store.compareAndSwap('ses_1', undefined, tokens); // create if absent
 * const next = await store.compareAndSwap('ses_1', created?.version, refreshed); // undefined if someone else won
 * ```
 */
export interface TokenStore {
  get(key: string): Promise<StoredTokens | undefined>;
  /**
   * Stores `next` only if the current version is `expectedVersion` (`undefined`: only if absent).
   * Resolves with the new record, or `undefined` when the expectation did not hold.
   */
  compareAndSwap(
    key: string,
    expectedVersion: number | undefined,
    next: TokenSet,
  ): Promise<StoredTokens | undefined>;
  delete(key: string): Promise<void>;
}

/**
 * An in-memory {@link TokenStore} (one process; tokens are lost on restart).
 *
 * @example
 * ```ts
 * const store = createMemoryTokenStore();
 * ```
 */
export function createMemoryTokenStore(): TokenStore {
  const records = new Map<string, StoredTokens>();
  return {
    async get(key) {
      return records.get(key);
    },
    async compareAndSwap(key, expectedVersion, next) {
      // No await between the read and the write: atomic on the event loop.
      const current = records.get(key);
      if (current?.version !== expectedVersion) {
        return undefined;
      }
      const stored = { tokens: next, version: (current?.version ?? 0) + 1 };
      records.set(key, stored);
      return stored;
    },
    async delete(key) {
      records.delete(key);
    },
  };
}
