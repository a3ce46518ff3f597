/**
 * Group commit for refresh-token rotations (RFC 9700 §4.14.2 single use kept): the rotations
 * that concurrent requests ask for while the previous group is being written run in ONE write
 * transaction, one after the other, instead of one transaction each. Each rotation is the store's
 * own verb, unchanged, so the race arbiter stays its conditional UPDATE: two presentations of one
 * token in a group are serialised inside it (the second sees the first's `used_at`: retry or reuse,
 * and the family revoked in the same transaction), and groups never overlap (unless `maxInFlight`
 * allows more at once, on a database whose row locks arbitrate between them). What it saves is the
 * commit: on SQLite the index pages every rotation touches are written to the WAL once per group,
 * on PostgreSQL one commit (one WAL flush) serves the group. A group of redemptions goes to the
 * store's winners' statement when it has one (`redeemRefreshTokenWinners`, PostgreSQL): one
 * statement that commits on its own, one round trip for the group with no `BEGIN`/`COMMIT`; each
 * presentation that did not win then runs alone. Otherwise to the batch verb
 * (`redeemRefreshTokens`) in the group's transaction (SQLite: one redemption after the other).
 *
 * - Nothing is acknowledged before it is committed: each caller's promise settles after the group's
 *   transaction (or the winners' statement, which PostgreSQL commits before it answers) has
 *   committed, as durable as the database's commit is (SQLite: WAL with `synchronous=NORMAL`,
 *   which survives a crash of the process; PostgreSQL: `synchronous_commit`).
 * - All or none: a group that fails wrote nothing (the transaction rolled back). Each of its
 *   rotations then runs again on its own, so only a rotation that fails by itself (a conflicting
 *   successor hash) fails its caller; a deadlock with another node's group costs a retry, not an
 *   error.
 * - A database that is unavailable (down, frozen past its timeouts) fails the whole group at once,
 *   with no retry one by one: on a frozen database each retry would wait out the timeouts again,
 *   and the last caller of a group of N would get its 503 only after N of them.
 */
import type { RefreshRedemption, RefreshTokenStore } from '../store/ports.js';
import { isStoreUnavailable } from '../store/unavailable.js';

type RotationVerbs = Pick<RefreshTokenStore, 'rotateRefreshToken' | 'redeemRefreshToken'>;
/** The store inside the group's transaction: with the batch verb when it has one. */
type GroupVerbs = RotationVerbs & Partial<Pick<RefreshTokenStore, 'redeemRefreshTokens'>>;
/** The store the group commit runs on: with the winners' statement when it has one (PostgreSQL). */
type GroupStore = { transaction<T>(fn: (tx: GroupVerbs) => Promise<T>): Promise<T> } & RotationVerbs &
  Partial<Pick<RefreshTokenStore, 'redeemRefreshTokenWinners'>>;
type Redemption = RefreshRedemption;

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
  /**
   * Groups written at once (default 1), each on its own connection: a group forms and goes to the
   * database while the one before it is still there. Only for a database whose concurrent
   * transactions each hold their own row locks (PostgreSQL): every redemption stays a conditional
   * UPDATE, so a token in two groups in flight is rotated by one and found used by the other.
   */
  maxInFlight?: number;
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
  store: GroupStore,
  options: RefreshRotationGroupCommitOptions = {},
): RotationVerbs {
  const maxBatch = Math.max(1, options.maxBatch ?? 64);
  const maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  let queue: Pending[] = [];
  let inFlight = 0;
  let gathering = false;

  function alone(pending: Pending): Promise<void> {
    return pending.run(store).then(pending.resolve, pending.reject);
  }

  /**
   * Each on its own, in order. Once one finds the database unavailable, the rest fail with that
   * error instead of each waiting for it again.
   */
  async function eachAlone(pendings: Pending[]): Promise<void> {
    for (const [index, pending] of pendings.entries()) {
      let result: unknown;
      try {
        result = await pending.run(store);
      } catch (error) {
        pending.reject(error);
        if (isStoreUnavailable(error)) {
          failAll(pendings.slice(index + 1), error);
          return;
        }
        continue;
      }
      pending.resolve(result);
    }
  }

  function failAll(pendings: Pending[], error: unknown): void {
    for (const pending of pendings) {
      pending.reject(error);
    }
  }

  async function writeGroup(group: Pending[]): Promise<void> {
    options.onGroup?.(group.length);
    if (group.length === 1 && group[0] !== undefined) {
      await alone(group[0]);
      return;
    }
    const redemptions = group.flatMap((pending) =>
      pending.redemption === undefined ? [] : [pending.redemption],
    );
    if (store.redeemRefreshTokenWinners !== undefined && redemptions.length === group.length) {
      await writeWinners(group, redemptions, store.redeemRefreshTokenWinners);
      return;
    }
    let results: unknown[];
    try {
      results = await store.transaction(async (tx) => {
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
    } catch (error) {
      if (isStoreUnavailable(error)) {
        failAll(group, error);
        return;
      }
      // Rolled back: nothing of the group was written. Each on its own, in order.
      await eachAlone(group);
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

  /**
   * A group of redemptions by the winners' statement, committed on its own (one round trip): each
   * winner is answered now; each of the others (refused, a token presented again, used, expired)
   * then runs alone, in order, with nothing written for it yet, as if it had come just after.
   * The statement failing wrote nothing: each runs alone, as after a rolled-back group.
   */
  async function writeWinners(
    group: Pending[],
    redemptions: Redemption[],
    winners: NonNullable<GroupStore['redeemRefreshTokenWinners']>,
  ): Promise<void> {
    let results: Awaited<ReturnType<typeof winners>>;
    try {
      results = await winners(redemptions);
    } catch (error) {
      if (isStoreUnavailable(error)) {
        failAll(group, error);
        return;
      }
      await eachAlone(group);
      return;
    }
    const lost: Pending[] = [];
    group.forEach((pending, index) => {
      const won = results[index];
      if (won === undefined) {
        lost.push(pending);
      } else {
        pending.resolve(won);
      }
    });
    await eachAlone(lost);
  }

  /** Starts groups from the queue while fewer than `maxInFlight` are being written. */
  function pump(): void {
    while (queue.length > 0 && inFlight < maxInFlight) {
      const group = queue.slice(0, maxBatch);
      queue = queue.slice(maxBatch);
      inFlight += 1;
      const done = () => {
        inFlight -= 1;
        pump();
      };
      writeGroup(group).then(done, done);
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
      if (!gathering && inFlight < maxInFlight) {
        gathering = true;
        // After the I/O phase: every request read in this turn has queued its rotation by then.
        setImmediate(() => {
          gathering = false;
          pump();
        });
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
