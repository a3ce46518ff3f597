import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/sql/database.js';
import { migrateToLatest } from '../../src/store/sql/migrate.js';
import { prepareQuery } from '../../src/store/sql/prepared-query.js';
import { openSqlite } from '../../src/store/sqlite/dialect.js';

describe('prepareQuery (statements compiled once)', () => {
  let db: Kysely<Database>;
  beforeEach(async () => {
    db = openSqlite(':memory:').db;
    await migrateToLatest(db, 'sqlite');
    await db
      .insertInto('replay_keys')
      .values([
        { key: 'a', expires_at: 10 },
        { key: 'b', expires_at: 20 },
        { key: 'c', expires_at: 30 },
      ])
      .execute();
  });
  afterEach(async () => {
    await db.destroy();
  });

  it('builds and compiles once per database, on the store and in its transactions, and binds each value by name', async () => {
    let builds = 0;
    // The values are named in the opposite order to their places in the SQL.
    const between = prepareQuery<{ to: number; from: number }, { key: string }>(['to', 'from'], (d, v) => {
      builds += 1;
      return d
        .selectFrom('replay_keys')
        .select('key')
        .where('expires_at', '>=', v.from)
        .where('expires_at', '<=', v.to)
        .orderBy('key');
    });
    expect((await between.execute(db, { from: 15, to: 30 })).rows).toEqual([{ key: 'b' }, { key: 'c' }]);
    expect((await between.execute(db, { to: 10, from: 0 })).rows).toEqual([{ key: 'a' }]);
    const inTransaction = await db
      .transaction()
      .execute(async (tx) => (await between.execute(tx, { from: 20, to: 20 })).rows);
    expect(inTransaction).toEqual([{ key: 'b' }]);
    expect(builds).toBe(1);
  });

  it('compiles again on every run for a database with plugins, which may change the SQL', async () => {
    let builds = 0;
    const byKey = prepareQuery<{ key: string }, { key: string }>(['key'], (d, v) => {
      builds += 1;
      return d.selectFrom('replay_keys').select('key').where('key', '=', v.key);
    });
    expect((await byKey.execute(db, { key: 'a' })).rows).toEqual([{ key: 'a' }]);
    const other = db.withSchema('nowhere');
    await expect(byKey.execute(other, { key: 'a' })).rejects.toThrow(/nowhere/);
    expect((await byKey.execute(db, { key: 'b' })).rows).toEqual([{ key: 'b' }]);
    expect(builds).toBe(2);
  });

  it('refuses a statement that leaves a named value out, and a run without a value', async () => {
    const unused = prepareQuery<{ key: string; spare: string }, { key: string }>(['key', 'spare'], (d, v) =>
      d.selectFrom('replay_keys').select('key').where('key', '=', v.key),
    );
    await expect(unused.execute(db, { key: 'a', spare: 'x' })).rejects.toThrow(/does not use spare/);
    const byKey = prepareQuery<{ key: string }, { key: string }>(['key'], (d, v) =>
      d.selectFrom('replay_keys').select('key').where('key', '=', v.key),
    );
    await expect(byKey.execute(db, {} as { key: string })).rejects.toThrow(/without a value for key/);
  });
});
