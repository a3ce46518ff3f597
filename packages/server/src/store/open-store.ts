/** Opens the store a URL names. It does not migrate: the caller runs `store.migrate()`. */
import { fileURLToPath } from 'node:url';
import type { Store } from './ports.js';
import { openPostgres, type PostgresOptions } from './postgres/dialect.js';
import { createSqlStore } from './sql/sql-store.js';
import { openSqlite, type SqliteOptions } from './sqlite/dialect.js';

export interface OpenStoreOptions {
  /** PostgreSQL only: the schema to use (created when absent). */
  schema?: string;
  /** PostgreSQL only: connection and statement bounds, and who hears of dropped connections. */
  postgres?: Omit<PostgresOptions, 'schema'>;
  /** SQLite only: how long a query may wait for another process's write lock. */
  sqlite?: SqliteOptions;
}

/** The SQLite path a URL names, or undefined when it names PostgreSQL. */
export function sqlitePathOf(url: string): string | undefined {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    return undefined;
  }
  if (url.startsWith('file://')) {
    return fileURLToPath(url);
  }
  if (url.startsWith('file:')) {
    return url.slice('file:'.length);
  }
  if (url.startsWith('sqlite://')) {
    return url.slice('sqlite://'.length);
  }
  if (url.startsWith('sqlite:')) {
    return url.slice('sqlite:'.length);
  }
  return url;
}

/**
 * `postgres://…` or `postgresql://…` → PostgreSQL; `sqlite:PATH`, `file:PATH`, a plain path or
 * `:memory:` → SQLite.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const path = sqlitePathOf(url);
  if (path === undefined) {
    const { db } = await openPostgres(url, {
      ...options.postgres,
      ...(options.schema === undefined ? {} : { schema: options.schema }),
    });
    return createSqlStore(db, 'postgres');
  }
  return createSqlStore(openSqlite(path, options.sqlite).db, 'sqlite');
}
