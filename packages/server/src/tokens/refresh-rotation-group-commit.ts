/**
 * Group commit for refresh-token rotations (RFC 9700 §4.14.2 single use kept): the rotations
 * that concurrent requests ask for while the previous group is being written run in ONE write
 * transaction, one after the other, instead of one transaction each. Each rotation is the store's
 * own verb, unchanged, so the race arbiter stays its conditional UPDATE: two presentations of one
 * token in a group are serialised inside it (the second sees the first's `used_at`: retry or reuse,
 * and the family revoked in the same transaction), and groups never overlap. What it saves is the
 * commit: on SQLite the index pages every rotation touches are written to the WAL once per group,
 * on PostgreSQL one commit (one WAL flush) serves the group.
 *
 * - Nothing is acknowledged before it is durable: each caller's promise settles after the group's
 *   transaction has committed.
 * - All or none: a group that fails wrote nothing (the transaction rolled back). Each of its
 *   rotations then runs again on its own, so only a rotation that fails by itself (a conflicting
 *   successor hash, a database that is down) fails its caller; a deadlock with another node's
 *   group costs a retry, not an error.
 */
import type { RefreshTokenStore, RotateResult, Store } from '../store/ports.js';

type Rotation = Parameters<RefreshTokenStore['rotateRefreshToken']>;

interface Pending {
  rotation: Rotation;
  resolve: (result: RotateResult) => void;
  reject: (error: unknown) => void;
}

export interface RefreshRotationGroupCommitOptions {
  /** Rotations per transaction at most (each holds the write lock for the group). */
  maxBatch?: number;
}

/**
 * A drop-in `rotateRefreshToken` that groups concurrent rotations into one transaction.
 *
 * @example
 * ```ts
 * createRefreshTokenGrant({ …, store: { ...store, ...createRefreshRotationGroupCommit(store) } });
 * ```
 */
export function createRefreshRotationGroupCommit(
  store: Pick<Store, 'transaction' | 'rotateRefreshToken'>,
  options: RefreshRotationGroupCommitOptions = {},
): Pick<RefreshTokenStore, 'rotateRefreshToken'> {
  const maxBatch = Math.max(1, options.maxBatch ?? 64);
  let queue: Pending[] = [];
  let writing = false;

  function alone(pending: Pending): Promise<void> {
    return store.rotateRefreshToken(...pending.rotation).then(pending.resolve, pending.reject);
  }

  async function writeGroup(group: Pending[]): Promise<void> {
    if (group.length === 1 && group[0] !== undefined) {
      await alone(group[0]);
      return;
    }
    let results: RotateResult[];
    try {
      results = await store.transaction(async (tx) => {
        const out: RotateResult[] = [];
        for (const pending of group) {
          out.push(await tx.rotateRefreshToken(...pending.rotation));
        }
        return out;
      });
    } catch {
      // Rolled back: nothing of the group was written. Each on its own, in order.
      for (const pending of group) {
        await alone(pending);
      }
      return;
    }
    group.forEach((pending, index) => {
      const result = results[index];
      if (result === undefined) {
        pending.reject(new Error('group commit lost a rotation result'));
      } else {
        pending.resolve(result);
      }
    });
  }

  async function drain(): Promise<void> {
    writing = true;
    try {
      while (queue.length > 0) {
        const group = queue.slice(0, maxBatch);
        queue = queue.slice(maxBatch);
        await writeGroup(group);
      }
    } finally {
      writing = false;
    }
  }

  return {
    rotateRefreshToken(...rotation) {
      return new Promise<RotateResult>((resolve, reject) => {
        queue.push({ rotation, resolve, reject });
        if (!writing) {
          writing = true;
          // After the I/O phase: every request read in this turn has queued its rotation by then.
          setImmediate(() => void drain());
        }
      });
    },
  };
}
