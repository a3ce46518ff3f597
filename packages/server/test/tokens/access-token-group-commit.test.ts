/**
 * Group commit of opaque access tokens (issue 18) on the real SQLite and PostgreSQL stores: the
 * tokens of concurrent requests share one INSERT, nobody is answered before their token is
 * committed, and a conflict in a batch fails only its own caller.
 * @see issue 18
 */
import { afterAll, describe, expect, it } from 'vitest';
import { newAccessToken, newClient, T0 } from '../../src/store/contract/fixtures.js';
import { openStore } from '../../src/store/open-store.js';
import { type AccessTokenRecord, ConflictError, type Store } from '../../src/store/ports.js';
import { createAccessTokenGroupCommit } from '../../src/tokens/access-token-group-commit.js';
import { dropSchema, uniqueSchema } from '../support/postgres-nodes.js';
import { isPostgresReachable, POSTGRES_URL, requireService } from '../support/requirements.js';

const postgres = requireService('PostgreSQL', await isPostgresReachable());
const schema = uniqueSchema('group_commit');
const opened: Store[] = [];
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  if (postgres) {
    await dropSchema(schema);
  }
});

/** The store, counting the statements that write access tokens and holding the batch write open. */
function counted(store: Store) {
  const writes: number[] = [];
  let hold: Promise<void> = Promise.resolve();
  let release: () => void = () => {};
  return {
    writes,
    holdWrites() {
      hold = new Promise((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
    store: {
      insertAccessToken: async (token: AccessTokenRecord) => {
        writes.push(1);
        await store.insertAccessToken(token);
      },
      insertAccessTokens: async (tokens: readonly AccessTokenRecord[]) => {
        writes.push(tokens.length);
        await hold;
        await store.insertAccessTokens(tokens);
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

describe.each(backends)('group commit of opaque access tokens on %s', (_name, open) => {
  async function setUp() {
    const store = await open();
    opened.push(store);
    await store.migrate();
    const client = (await store.createClient(newClient(), T0)).id;
    return { store, client };
  }

  it('DESIGN §4 — concurrent tokens share one statement, and none is acknowledged before it is committed', async () => {
    const { store, client } = await setUp();
    const c = counted(store);
    const commit = createAccessTokenGroupCommit(c.store);
    const tokens = Array.from({ length: 20 }, () => newAccessToken(client));
    c.holdWrites();
    const acknowledged: string[] = [];
    const writes = tokens.map((token) =>
      commit.insertAccessToken(token).then(() => acknowledged.push(token.hash)),
    );
    // Give the batch every chance to be acknowledged early: it must not be while its write is held.
    for (let turn = 0; turn < 5; turn += 1) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(c.writes).toEqual([20]);
    expect(acknowledged).toEqual([]);
    expect(await store.findAccessToken(tokens[0]?.hash ?? '')).toBeUndefined();
    c.release();
    await Promise.all(writes);
    expect(acknowledged).toHaveLength(20);
    for (const token of tokens) {
      expect(await store.findAccessToken(token.hash)).toEqual(token);
    }
  });

  it('all or none: a conflicting token in a batch fails only its caller; the others are written', async () => {
    const { store, client } = await setUp();
    const existing = newAccessToken(client);
    await store.insertAccessToken(existing);
    const commit = createAccessTokenGroupCommit(store);
    const fresh = Array.from({ length: 5 }, () => newAccessToken(client));
    const results = await Promise.allSettled([
      ...fresh.slice(0, 2).map((token) => commit.insertAccessToken(token)),
      commit.insertAccessToken({ ...existing, jti: 'another' }),
      ...fresh.slice(2).map((token) => commit.insertAccessToken(token)),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    for (const token of fresh) {
      expect(await store.findAccessToken(token.hash)).toEqual(token);
    }
    expect((await store.findAccessToken(existing.hash))?.jti).toBe(existing.jti);
  });

  it('a failure of the database reaches every caller of the batch (nothing is acknowledged)', async () => {
    const { client } = await setUp();
    const down = new Error('database down');
    const commit = createAccessTokenGroupCommit({
      insertAccessToken: () => Promise.reject(down),
      insertAccessTokens: () => Promise.reject(down),
    });
    const results = await Promise.allSettled(
      Array.from({ length: 3 }, () => commit.insertAccessToken(newAccessToken(client))),
    );
    expect(results.map((r) => (r.status === 'rejected' ? r.reason : 'fulfilled'))).toEqual([
      down,
      down,
      down,
    ]);
  });
});
