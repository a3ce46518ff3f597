/**
 * Group commit of refresh-token rotations (issue 18) on the real SQLite and PostgreSQL stores: the
 * rotations of concurrent requests share one transaction, nobody is answered before it committed,
 * a token presented many times at once is still rotated once (RFC 9700 §4.14.2), and a rotation
 * that fails on its own fails only its caller.
 * @see issue 18
 */

import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { newClient, newRefreshToken, newUser, T0, uid } from '../../src/store/contract/fixtures.js';
import { openStore } from '../../src/store/open-store.js';
import {
  ConflictError,
  type RedeemResult,
  type RefreshTokenRecord,
  type RotateResult,
  type Store,
} from '../../src/store/ports.js';
import { createRefreshRotationGroupCommit } from '../../src/tokens/refresh-rotation-group-commit.js';
import { dropSchema, uniqueSchema } from '../support/postgres-nodes.js';
import { isPostgresReachable, POSTGRES_URL, requireService } from '../support/requirements.js';

const postgres = requireService('PostgreSQL', await isPostgresReachable());
const schema = uniqueSchema('rotation_group');
const opened: Store[] = [];
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  if (postgres) {
    await dropSchema(schema);
  }
});

/** The store, counting its write transactions and able to hold them open before they commit. */
function counted(store: Store) {
  let transactions = 0;
  let batches = 0;
  let hold: Promise<void> = Promise.resolve();
  let release: () => void = () => {};
  return {
    transactions: () => transactions,
    /** Calls of the store's batch verb inside those transactions. */
    batches: () => batches,
    holdCommits() {
      hold = new Promise((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
    store: {
      rotateRefreshToken: store.rotateRefreshToken.bind(store),
      redeemRefreshToken: store.redeemRefreshToken.bind(store),
      transaction: <T>(fn: (tx: Store) => Promise<T>) => {
        transactions += 1;
        return store.transaction(async (tx) => {
          const counting: Store = {
            ...tx,
            redeemRefreshTokens: (redemptions) => {
              batches += 1;
              return tx.redeemRefreshTokens(redemptions);
            },
          };
          const result = await fn(counting);
          await hold;
          return result;
        });
      },
    },
  };
}

const backends: Array<[string, () => Promise<Store>]> = [
  ['SQLite', () => openStore(':memory:')],
  ...(postgres
    ? [['PostgreSQL', () => openStore(POSTGRES_URL, { schema })] as [string, () => Promise<Store>]]
    : []),
];

describe.each(backends)('group commit of refresh-token rotations on %s', (_name, open) => {
  async function setUp() {
    const store = await open();
    opened.push(store);
    await store.migrate();
    const client = (await store.createClient(newClient(), T0)).id;
    const user = (await store.createUser(newUser(), T0)).id;
    const seed = async () => {
      const token = newRefreshToken(client, user);
      await store.insertRefreshToken(token);
      return token;
    };
    const successorOf = (token: { familyId: string }) =>
      newRefreshToken(client, user, { familyId: token.familyId, issuedAt: T0 + 10 });
    return { store, seed, successorOf };
  }

  it('DESIGN §4 — concurrent rotations share one transaction, and none is acknowledged before it committed', async () => {
    const { store, seed, successorOf } = await setUp();
    const c = counted(store);
    const group = createRefreshRotationGroupCommit(c.store);
    const tokens = await Promise.all(Array.from({ length: 12 }, seed));
    const successors = tokens.map(successorOf);
    c.holdCommits();
    const acknowledged: RotateResult[] = [];
    const rotations = tokens.map((token, n) =>
      group
        .rotateRefreshToken(token.hash, successors[n] ?? successorOf(token), T0 + 10)
        .then((result) => acknowledged.push(result)),
    );
    for (let turn = 0; turn < 5; turn += 1) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(acknowledged).toEqual([]);
    c.release();
    await Promise.all(rotations);
    expect(c.transactions()).toBe(1);
    expect(acknowledged.map((result) => result.status)).toEqual(Array(12).fill('rotated'));
    for (const successor of successors) {
      expect((await store.findRefreshToken(successor.hash))?.usedAt).toBeNull();
    }
    for (const token of tokens) {
      expect((await store.findRefreshToken(token.hash))?.usedAt).toBe(T0 + 10);
    }
  });

  it('RFC 9700 §4.14.2 — one token presented 10 times at once: exactly one rotation wins, the others are reuse and the family is revoked', async () => {
    const { store, seed, successorOf } = await setUp();
    const group = createRefreshRotationGroupCommit(store);
    const token = await seed();
    const bystander = await seed();
    const successors = Array.from({ length: 10 }, () => successorOf(token));
    const results = await Promise.all([
      ...successors.map((successor) => group.rotateRefreshToken(token.hash, successor, T0 + 10)),
      group.rotateRefreshToken(bystander.hash, successorOf(bystander), T0 + 10),
    ]);
    const statuses = results.slice(0, 10).map((result) => result.status);
    expect(statuses.filter((status) => status === 'rotated')).toHaveLength(1);
    expect(statuses.filter((status) => status === 'reused')).toHaveLength(9);
    expect(results[10]?.status).toBe('rotated');
    const stored = (await Promise.all(successors.map((s) => store.findRefreshToken(s.hash)))).filter(
      (s) => s !== undefined,
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]?.revokedAt).toBe(T0 + 10);
    expect((await store.findRefreshToken(token.hash))?.revokedAt).toBe(T0 + 10);
    // Another family in the same group is untouched.
    expect((await store.findRefreshToken(bystander.hash))?.revokedAt).toBeNull();
  });

  it('RFC 9700 §4.14.2 — within a reuse grace, parallel presentations get the one successor back (retried); one successor stored', async () => {
    const { store, seed, successorOf } = await setUp();
    const group = createRefreshRotationGroupCommit(store);
    const token = await seed();
    const successors = Array.from({ length: 4 }, () => successorOf(token));
    const results = await Promise.all(
      successors.map((successor) =>
        group.rotateRefreshToken(token.hash, successor, T0 + 10, {
          until: T0 + 20,
          sealedSuccessor: `sealed:${successor.hash}`,
        }),
      ),
    );
    expect(results.map((result) => result.status).sort()).toEqual([
      'retried',
      'retried',
      'retried',
      'rotated',
    ]);
    const sealed = results.flatMap((result) => (result.status === 'retried' ? [result.sealedSuccessor] : []));
    expect(new Set(sealed).size).toBe(1);
    const stored = (await Promise.all(successors.map((s) => store.findRefreshToken(s.hash)))).filter(
      (s) => s !== undefined,
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]?.revokedAt).toBeNull();
  });

  it('a rotation that fails on its own (its successor hash exists) fails only its caller; the rest of the group is rotated', async () => {
    const { store, seed, successorOf } = await setUp();
    const group = createRefreshRotationGroupCommit(store);
    const tokens = await Promise.all(Array.from({ length: 4 }, seed));
    const taken = await seed();
    const outcomes = await Promise.allSettled(
      tokens.map((token, n) =>
        group.rotateRefreshToken(
          token.hash,
          n === 2 ? { ...successorOf(token), hash: taken.hash } : successorOf(token),
          T0 + 10,
        ),
      ),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const failed = outcomes[2];
    expect(failed?.status === 'rejected' && failed.reason).toBeInstanceOf(ConflictError);
    // The failed one changed nothing: its token is still unused.
    expect((await store.findRefreshToken(tokens[2]?.hash ?? ''))?.usedAt).toBeNull();
    expect((await store.findRefreshToken(tokens[0]?.hash ?? ''))?.usedAt).toBe(T0 + 10);
  });

  const by = (token: RefreshTokenRecord) => ({ hash: token.hash, clientId: token.clientId, jkt: null });
  const next = (hash = uid('hash')) => ({ hash, issuedAt: T0 + 10, expiresAt: T0 + 3_600 });

  it('DESIGN §4 — concurrent redemptions go to the store batch verb in one transaction; each caller gets its own result', async () => {
    const { store, seed } = await setUp();
    const c = counted(store);
    const group = createRefreshRotationGroupCommit(c.store);
    const tokens = await Promise.all(Array.from({ length: 12 }, seed));
    const successors = tokens.map(() => next());
    const foreign = {
      ...by(tokens[5] as RefreshTokenRecord),
      clientId: (await store.createClient(newClient(), T0)).id,
    };
    c.holdCommits();
    const acknowledged: RedeemResult[] = [];
    const redemptions = tokens.map((token, n) =>
      group
        .redeemRefreshToken(n === 5 ? foreign : by(token), successors[n] ?? next(), T0 + 10)
        .then((result) => {
          acknowledged.push(result);
          return result;
        }),
    );
    for (let turn = 0; turn < 5; turn += 1) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(acknowledged).toEqual([]);
    c.release();
    const results = await Promise.all(redemptions);
    expect(c.transactions()).toBe(1);
    expect(c.batches()).toBe(1);
    expect(results.map((result) => result.status)).toEqual([
      ...Array(5).fill('rotated'),
      'refused',
      ...Array(6).fill('rotated'),
    ]);
    for (const [n, token] of tokens.entries()) {
      const result = results[n];
      if (n !== 5) {
        expect(result).toMatchObject({
          status: 'rotated',
          previous: { hash: token.hash, usedAt: T0 + 10 },
          user: { id: token.userId },
        });
        expect((await store.findRefreshToken(successors[n]?.hash ?? ''))?.familyId).toBe(token.familyId);
      }
    }
    expect((await store.findRefreshToken(tokens[5]?.hash ?? ''))?.usedAt).toBeNull();
    expect(await store.findRefreshToken(successors[5]?.hash ?? '')).toBeUndefined();
  });

  it('RFC 9700 §4.14.2 — one token redeemed 10 times in one group: one rotated, nine reused, the family revoked; a successor hash that exists fails only its caller', async () => {
    const { store, seed } = await setUp();
    const group = createRefreshRotationGroupCommit(store);
    const token = await seed();
    const bystander = await seed();
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => group.redeemRefreshToken(by(token), next(), T0 + 10)),
      group.redeemRefreshToken(by(bystander), next(), T0 + 10),
    ]);
    const statuses = results.map((result) => result.status);
    expect(statuses.slice(0, 10).sort()).toEqual([...Array(9).fill('reused'), 'rotated']);
    expect(statuses[10]).toBe('rotated');
    expect((await store.findRefreshToken(token.hash))?.revokedAt).toBe(T0 + 10);
    expect((await store.findRefreshToken(bystander.hash))?.revokedAt).toBeNull();

    const tokens = await Promise.all(Array.from({ length: 4 }, seed));
    const taken = await seed();
    const outcomes = await Promise.allSettled(
      tokens.map((t, n) => group.redeemRefreshToken(by(t), next(n === 2 ? taken.hash : undefined), T0 + 10)),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((await store.findRefreshToken(tokens[2]?.hash ?? ''))?.usedAt).toBeNull();
    expect((await store.findRefreshToken(tokens[3]?.hash ?? ''))?.usedAt).toBe(T0 + 10);
  });

  // Only PostgreSQL groups redemptions into one statement (a SQLite group runs the single verb in
  // turn), so these are registered on PostgreSQL alone rather than skipped on SQLite.
  if (_name === 'PostgreSQL') {
    it('RFC 9700 §4.14.2 — two nodes redeem the same 12 tokens at once, in opposite orders, each in its own groups: every token rotated exactly once, its other presentation reused', async () => {
      const { store, seed } = await setUp();
      const otherNode = await open();
      opened.push(otherNode);
      const nodes = [createRefreshRotationGroupCommit(store), createRefreshRotationGroupCommit(otherNode)];
      const tokens = await Promise.all(Array.from({ length: 12 }, seed));
      const [a, b] = await Promise.all(
        nodes.map((node, n) =>
          Promise.all(
            (n === 0 ? tokens : [...tokens].reverse()).map((token) =>
              node
                .redeemRefreshToken(by(token), next(), T0 + 10)
                .then((result) => [token.hash, result.status]),
            ),
          ).then((pairs) => new Map(pairs.map(([hash, status]) => [hash, status]))),
        ),
      );
      for (const token of tokens) {
        expect([a?.get(token.hash), b?.get(token.hash)].sort()).toEqual(['reused', 'rotated']);
        expect((await store.findRefreshToken(token.hash))?.revokedAt).toBe(T0 + 10);
      }
    });

    it("DESIGN §4 — a group of redemptions is the winners' statement alone (no transaction); each one that did not win then runs alone, after it, with its own result", async () => {
      const { store, seed } = await setUp();
      const calls = { transactions: 0, winners: 0, alone: 0 };
      const group = createRefreshRotationGroupCommit({
        rotateRefreshToken: store.rotateRefreshToken.bind(store),
        redeemRefreshToken: (...redemption) => {
          calls.alone += 1;
          return store.redeemRefreshToken(...redemption);
        },
        transaction: (fn) => {
          calls.transactions += 1;
          return store.transaction(fn);
        },
        redeemRefreshTokenWinners: (redemptions) => {
          calls.winners += 1;
          return store.redeemRefreshTokenWinners?.(redemptions) ?? Promise.reject(new Error('absent'));
        },
      });
      const tokens = await Promise.all(Array.from({ length: 6 }, seed));
      const foreign = {
        ...by(tokens[4] as RefreshTokenRecord),
        clientId: (await store.createClient(newClient(), T0)).id,
      };
      const results = await Promise.all([
        ...tokens.map((token, n) => group.redeemRefreshToken(n === 4 ? foreign : by(token), next(), T0 + 10)),
        group.redeemRefreshToken(by(tokens[1] as RefreshTokenRecord), next(), T0 + 10),
      ]);
      expect(calls).toEqual({ transactions: 0, winners: 1, alone: 2 });
      expect(results.map((result) => (result.status === 'refused' ? result.reason : result.status))).toEqual([
        'rotated',
        'rotated',
        'rotated',
        'rotated',
        'client',
        'rotated',
        'reused',
      ]);
      expect(results[0]).toMatchObject({
        previous: { hash: tokens[0]?.hash, usedAt: T0 + 10 },
        user: { id: tokens[0]?.userId },
      });
      expect((await store.findRefreshToken(tokens[4]?.hash ?? ''))?.usedAt).toBeNull();
      expect((await store.findRefreshToken(tokens[1]?.hash ?? ''))?.revokedAt).toBe(T0 + 10);
      expect((await store.findRefreshToken(tokens[0]?.hash ?? ''))?.revokedAt).toBeNull();
    });

    it('RFC 9700 §4.14.2 — two groups in flight at once (maxInFlight 2) redeem the same 8 tokens: the second is written while the first is still out, and each token is rotated exactly once', async () => {
      const { store, seed } = await setUp();
      let started = 0;
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const group = createRefreshRotationGroupCommit(
        {
          rotateRefreshToken: store.rotateRefreshToken.bind(store),
          redeemRefreshToken: store.redeemRefreshToken.bind(store),
          transaction: (fn) => store.transaction(fn),
          redeemRefreshTokenWinners: async (redemptions) => {
            started += 1;
            if (started === 1) {
              await held;
            }
            return store.redeemRefreshTokenWinners?.(redemptions) ?? [];
          },
        },
        { maxInFlight: 2 },
      );
      const tokens = await Promise.all(Array.from({ length: 8 }, seed));
      const first = tokens.map((token) => group.redeemRefreshToken(by(token), next(), T0 + 10));
      for (let turn = 0; turn < 3; turn += 1) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      const second = [...tokens]
        .reverse()
        .map((token) => group.redeemRefreshToken(by(token), next(), T0 + 10));
      for (let turn = 0; turn < 3; turn += 1) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(started).toBe(2);
      const later = (await Promise.all(second)).map((result) => result.status);
      expect(later).toEqual(Array(8).fill('rotated'));
      release();
      const earlier = (await Promise.all(first)).map((result) => result.status);
      expect(earlier).toEqual(Array(8).fill('reused'));
      for (const token of tokens) {
        expect((await store.findRefreshToken(token.hash))?.revokedAt).toBe(T0 + 10);
      }
    });

    it('RFC 9700 §4.14.2 — a grouped redemption of a successor drops the sealed copy its predecessor kept for the reuse grace', async () => {
      const { store, seed } = await setUp();
      const token = await seed();
      const kept = next();
      await store.redeemRefreshToken(by(token), kept, T0 + 10, { until: T0 + 20, sealedSuccessor: 'sealed' });
      const sealed = async () => {
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        try {
          const { rows } = await client.query(
            `select successor_sealed, grace_until from "${schema}".refresh_tokens where hash = $1`,
            [token.hash],
          );
          return rows[0];
        } finally {
          await client.end();
        }
      };
      expect(await sealed()).toEqual({ successor_sealed: 'sealed', grace_until: String(T0 + 20) });
      const other = await seed();
      const c = counted(store);
      const counting = createRefreshRotationGroupCommit(c.store);
      const results = await Promise.all([
        counting.redeemRefreshToken({ ...by(token), hash: kept.hash }, next(), T0 + 11),
        counting.redeemRefreshToken(by(other), next(), T0 + 11),
      ]);
      expect(c.batches()).toBe(1);
      expect(results.map((result) => result.status)).toEqual(['rotated', 'rotated']);
      expect(await sealed()).toEqual({ successor_sealed: null, grace_until: null });
    });
  }
});
