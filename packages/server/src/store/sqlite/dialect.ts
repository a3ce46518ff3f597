/**
 * `store/sqlite` builds the Kysely instance for SQLite (better-sqlite3) and holds the SQLite
 * differences (STYLE §9.5): pragmas, and write transactions that start `BEGIN IMMEDIATE` so two
 * writers never deadlock on a read-to-write upgrade. Queries live in `store/sql`.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import type { Database } from '../sql/database.js';

/** A fair FIFO mutex. */
class Mutex {
  #locked = false;
  readonly #waiters: (() => void)[] = [];

  lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
    });
  }

  unlock(): void {
    const next = this.#waiters.shift();
    if (next === undefined) {
      this.#locked = false;
    } else {
      next();
    }
  }
}

/**
 * One lock per database file per process. better-sqlite3 is synchronous: if a second connection to
 * the same file waited on `busy_timeout` while the first was between two awaits of a transaction,
 * the wait would block the very event loop the first needs to commit. Connections of one process
 * therefore take turns; other processes are handled by `busy_timeout` and `BEGIN IMMEDIATE`.
 */
const fileLocks = new Map<string, { mutex: Mutex; users: number }>();

function acquireFileLock(path: string): { mutex: Mutex; release: () => void } {
  const entry = fileLocks.get(path) ?? { mutex: new Mutex(), users: 0 };
  entry.users += 1;
  fileLocks.set(path, entry);
  let released = false;
  return {
    mutex: entry.mutex,
    release: () => {
      if (released) {
        return;
      }
      released = true;
      entry.users -= 1;
      if (entry.users === 0) {
        fileLocks.delete(path);
      }
    },
  };
}

/**
 * Kysely's driver keeps the single connection behind a mutex for a whole transaction, so
 * transactions of one store never interleave; this one also starts them `BEGIN IMMEDIATE` and
 * shares the per-file lock.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  readonly #fileLock: { mutex: Mutex; release: () => void } | undefined;

  constructor(config: SqliteDialectConfig, fileLock: { mutex: Mutex; release: () => void } | undefined) {
    super(config);
    this.#fileLock = fileLock;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    await this.#fileLock?.mutex.lock();
    try {
      return await super.acquireConnection();
    } catch (error) {
      this.#fileLock?.mutex.unlock();
      throw error;
    }
  }

  override async releaseConnection(): Promise<void> {
    await super.releaseConnection();
    this.#fileLock?.mutex.unlock();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  override async destroy(): Promise<void> {
    await super.destroy();
    this.#fileLock?.release();
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  readonly #fileLock: { mutex: Mutex; release: () => void } | undefined;

  constructor(config: SqliteDialectConfig, fileLock: { mutex: Mutex; release: () => void } | undefined) {
    super(config);
    this.#config = config;
    this.#fileLock = fileLock;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config, this.#fileLock);
  }
}

export interface SqliteHandle {
  db: Kysely<Database>;
  /** The raw connection, for pragmas and diagnostics. */
  sqlite: SqliteDatabase.Database;
  /** The resolved file path, or `:memory:`. */
  path: string;
}

export interface SqliteOptions {
  /** How long a writer waits for another process's lock (default 5000 ms). */
  busyTimeoutMs?: number;
}

/** Opens `:memory:` or a database file (its directory is created when missing). */
export function openSqlite(path: string, options: SqliteOptions = {}): SqliteHandle {
  const memory = path === ':memory:' || path === '';
  const resolved = memory ? ':memory:' : resolve(path);
  if (!memory) {
    mkdirSync(dirname(resolved), { recursive: true });
  }
  const sqlite = new SqliteDatabase(resolved, { timeout: options.busyTimeoutMs ?? 5000 });
  if (!memory) {
    sqlite.pragma('journal_mode = WAL');
  }
  sqlite.pragma(`busy_timeout = ${Math.floor(options.busyTimeoutMs ?? 5000)}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('synchronous = NORMAL');
  const fileLock = memory ? undefined : acquireFileLock(resolved);
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }, fileLock) });
  return { db, sqlite, path: resolved };
}
