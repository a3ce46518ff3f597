/**
 * Statements built and compiled once: a hot statement is still written with Kysely's builder (typed,
 * one text for both dialects), but compiled only once per database, with a placeholder where each
 * named value goes; every run then binds the real values to that SQL. Kysely otherwise builds its
 * operation tree and compiles the same statement again on every call, which was a good part of the
 * CPU of a refresh redemption (docs/performance.md). The SQL text is the same on every run, so the
 * SQLite driver's statement cache (sqlite/dialect.ts) prepares it once too.
 *
 * The builder sees placeholders, not values: it must not branch on a value (`x === null ? … : …`),
 * only place it; a value that decides the statement's shape needs a statement per shape.
 */
import { type Compilable, type CompiledQuery, createQueryId, type Kysely, type QueryResult } from 'kysely';
import type { Database } from './database.js';

/** Stands for the value named `key` while the statement is compiled. */
class Placeholder {
  constructor(readonly key: string) {}
}

export interface PreparedQuery<P extends object, R> {
  /** Runs the statement on `db` (a store's database or its transaction) with these values. */
  execute(db: Kysely<Database>, values: P): Promise<QueryResult<R>>;
}

/**
 * A statement taking the named `values` (each must appear in it), compiled on first use on each
 * kind of database (keyed by Kysely's dialect adapter, which a transaction shares with its database).
 * A database with plugins (`withSchema`, `withPlugin`) may compile the same builder differently per
 * instance over one adapter, so there the statement is compiled on every run (the store adds none:
 * PostgreSQL picks its schema by `search_path`).
 */
export function prepareQuery<P extends object, R>(
  keys: readonly (keyof P & string)[],
  build: (db: Kysely<Database>, values: P) => Compilable<R>,
): PreparedQuery<P, R> {
  const compiled = new WeakMap<object, CompiledQuery<R>>();

  function compile(db: Kysely<Database>): CompiledQuery<R> {
    const placeholders = Object.fromEntries(keys.map((key) => [key, new Placeholder(key)])) as unknown as P;
    const query = build(db, placeholders).compile();
    const bound = new Set(
      query.parameters.flatMap((value) => (value instanceof Placeholder ? [value.key] : [])),
    );
    const unbound = keys.filter((key) => !bound.has(key));
    if (unbound.length > 0) {
      throw new TypeError(`prepared statement does not use ${unbound.join(', ')}`);
    }
    return query;
  }

  return {
    async execute(db, values) {
      const executor = db.getExecutor();
      let query = executor.plugins.length === 0 ? compiled.get(executor.adapter) : undefined;
      if (query === undefined) {
        query = compile(db);
        if (executor.plugins.length === 0) {
          compiled.set(executor.adapter, query);
        }
      }
      const parameters = query.parameters.map((value) => {
        if (!(value instanceof Placeholder)) {
          return value;
        }
        const bound = values[value.key as keyof P];
        if (bound === undefined) {
          throw new TypeError(`prepared statement without a value for ${value.key}`);
        }
        return bound;
      });
      return db.executeQuery<R>({ ...query, parameters, queryId: createQueryId() });
    },
  };
}
