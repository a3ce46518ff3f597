/**
 * Group commit for refresh-token rotations (RFC 9700 §4.14.2 single use kept): the rotations
 * that concurrent requests ask for while the previous group is being written run in ONE write
 * transaction, one after the other, instead of one transaction each. Each rotation is the store's
 * own verb, unchanged, so the race arbiter stays its conditional UPDATE: two presentations of one
 * token in a group are serialised inside it (the second sees the first's `used_at`: retry or reuse,
 * and the family revoked in the same transaction), and groups never overlap. What it saves is the
 * commit: on SQLite the index pages every rotation touches are written to the WAL once per group,
 * on PostgreSQL one commit (one WAL flush) serves the group. A group of redemptions only goes to the
 * store's batch verb (`redeemRefreshTokens`): on PostgreSQL the winners are written by one statement,
 * one round trip for the group instead of one per rotation; the others follow one by one.
 *
 * - Nothing is acknowledged before it is committed: each caller's promise settles after the group's
 *   transaction has committed, as durable as the database's commit is (SQLite: WAL with
 *   `synchronous=NORMAL`, which survives a crash of the process; PostgreSQL: `synchronous_commit`).
 * - All or none: a group that fails wrote nothing (the transaction rolled back). Each of its
 *   rotations then runs again on its own, so only a rotation that fails by itself (a conflicting
 *   successor hash, a database that is down) fails its caller; a deadlock with another node's
 *   group costs a retry, not an error.
 */
import type { RefreshTokenStore } from '../store/ports.js';

type RotationVerbs = Pick<RefreshTokenStore, 'rotateRefreshToken' | 'redeemRefreshToken'>;
/** The store inside the group's transaction: with the batch verb when it has one. */
type GroupVerbs = RotationVerbs & Partial<Pick<RefreshTokenStore, 'redeemRefreshTokens'>>;
type Redemption = Parameters<RefreshTokenStore['redeemRefreshTokens']>[0][number];

interface Pending {
  /** The store's own verb, on the store or on the group's transaction. */
  run: (store: RotationVerbs) => Promise<unknown>;
  /** A redemption's arguments, so a group of redemptions can go to the store's batch verb. */
  redemption?: Redemption;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

export interface RefreshRotationGroupCommitOptions {
  /** Rotations per transaction at most (each holds the write lock for the group). */
  maxBatch?: number;
  /** Called with the size of each group written (diagnostics, the bench). */
  onGroup?: (size: number) => void;
}

/**
 * Drop-in `rotateRefreshToken` and `redeemRefreshToken` that group concurrent rotations into one
 * transaction (both verbs share the queue).
 *
 * @example
 * ```ts
 * createRefreshTokenGrant({ …, store: { ...store, ...createRefreshRotationGroupCommit(store) } });
 * ```
 */
export function createRefreshRotationGroupCommit(
  store: { transaction<T>(fn: (tx: GroupVerbs) => Promise<T>): Promise<T> } & RotationVerbs,
  options: RefreshRotationGroupCommitOptions = {},
): RotationVerbs {
  const maxBatch = Math.max(1, options.maxBatch ?? 64);
  let queue: Pending[] = [];
  let writing = false;

  function alone(pending: Pending): Promise<void> {
    return pending.run(store).then(pending.resolve, pending.reject);
  }

  async function writeGroup(group: Pending[]): Promise<void> {
    options.onGroup?.(group.length);
    if (group.length === 1 && group[0] !== undefined) {
      await alone(group[0]);
      return;
    }
    let results: unknown[];
    try {
      results = await store.transaction(async (tx) => {
        const redemptions = group.flatMap((pending) =>
          pending.redemption === undefined ? [] : [pending.redemption],
        );
        if (tx.redeemRefreshTokens !== undefined && redemptions.length === group.length) {
          // All redemptions: the store's batch verb (PostgreSQL: the winners in one statement).
          return tx.redeemRefreshTokens(redemptions);
        }
        const out: unknown[] = [];
        for (const pending of group) {
          out.push(await pending.run(tx));
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
      if (index >= results.length) {
        pending.reject(new Error('group commit lost a rotation result'));
      } else {
        pending.resolve(results[index]);
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

  function enqueue<T>(run: (verbs: RotationVerbs) => Promise<T>, redemption?: Redemption): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({
        run,
        resolve: resolve as (result: unknown) => void,
        reject,
        ...(redemption === undefined ? {} : { redemption }),
      });
      if (!writing) {
        writing = true;
        // After the I/O phase: every request read in this turn has queued its rotation by then.
        setImmediate(() => void drain());
      }
    });
  }

  return {
    rotateRefreshToken: (...rotation) => enqueue((verbs) => verbs.rotateRefreshToken(...rotation)),
    redeemRefreshToken: (presented, successor, now, grace) =>
      enqueue((verbs) => verbs.redeemRefreshToken(presented, successor, now, grace), {
        presented,
        successor,
        now,
        grace,
      }),
  };
}
