/**
 * Group commit for opaque access tokens: the tokens that concurrent requests issue within
 * one turn of the event loop are written by ONE multi-row INSERT, one commit, instead of one commit
 * each. A durable commit (SQLite WAL with `synchronous=FULL`, a PostgreSQL round trip) is what
 * bounds opaque issuance; sharing it raises the rate without weakening anything:
 *
 * - nothing is acknowledged before it is durable: each caller's promise settles only after the
 *   statement holding its token has committed (DESIGN §4: introspection must find it at once);
 * - all or none: the statement is atomic, so a failed batch wrote nothing. On a conflict (a hash
 *   that exists) each token of the batch is then written on its own, so only the caller whose token
 *   conflicts sees the error; any other failure (the database is down) is every caller's.
 */
import { type AccessTokenStore, ConflictError } from '../store/ports.js';

type Writes = Pick<AccessTokenStore, 'insertAccessToken' | 'insertAccessTokens'>;
type Token = Parameters<AccessTokenStore['insertAccessToken']>[0];

interface Pending {
  token: Token;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface AccessTokenGroupCommitOptions {
  /** Rows per statement at most (bounded bind parameters: 11 per row). */
  maxBatch?: number;
}

/**
 * A drop-in `insertAccessToken` that batches concurrent calls.
 *
 * @example
 * ```ts
 * const accessTokens = createAccessTokenService({ …, store: createAccessTokenGroupCommit(store) });
 * ```
 */
export function createAccessTokenGroupCommit(
  store: Writes,
  options: AccessTokenGroupCommitOptions = {},
): Pick<AccessTokenStore, 'insertAccessToken'> {
  const maxBatch = Math.max(1, options.maxBatch ?? 256);
  let queue: Pending[] = [];
  let scheduled = false;

  function settle(pending: Pending, write: Promise<void>): void {
    write.then(pending.resolve, pending.reject);
  }

  async function writeBatch(batch: Pending[]): Promise<void> {
    if (batch.length === 1 && batch[0] !== undefined) {
      settle(batch[0], store.insertAccessToken(batch[0].token));
      return;
    }
    try {
      await store.insertAccessTokens(batch.map((pending) => pending.token));
    } catch (error) {
      if (error instanceof ConflictError) {
        for (const pending of batch) {
          settle(pending, store.insertAccessToken(pending.token));
        }
      } else {
        for (const pending of batch) {
          pending.reject(error);
        }
      }
      return;
    }
    for (const pending of batch) {
      pending.resolve();
    }
  }

  function flush(): void {
    scheduled = false;
    const batch = queue;
    queue = [];
    for (let start = 0; start < batch.length; start += maxBatch) {
      void writeBatch(batch.slice(start, start + maxBatch));
    }
  }

  return {
    insertAccessToken(token) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ token, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          // After the I/O phase: every request read in this turn has queued its token by then.
          setImmediate(flush);
        }
      });
    },
  };
}
