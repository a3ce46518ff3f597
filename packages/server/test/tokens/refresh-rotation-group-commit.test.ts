/**
 * Group commit of refresh-token rotations (issue 18) on the real SQLite and PostgreSQL stores: the
 * rotations of concurrent requests share one transaction, nobody is answered before it committed,
 * a token presented many times at once is still rotated once (RFC 9700 §4.14.2), and a rotation
 * that fails on its own fails only its caller.
 * @see issue 18
 */
import { afterAll, describe, expect, it } from 'vitest';
import { newClient, newRefreshToken, newUser, T0 } from '../../src/store/contract/fixtures.js';
import { openStore } from '../../src/store/open-store.js';
import { ConflictError, type RotateResult, type Store } from '../../src/store/ports.js';
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
  let hold: Promise<void> = Promise.resolve();
  let release: () => void = () => {};
  return {
    transactions: () => transactions,
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
          const result = await fn(tx);
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
});
