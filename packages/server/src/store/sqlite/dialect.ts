/**
 * `store/sqlite` builds the Kysely instance for SQLite (better-sqlite3) and holds the SQLite
 * differences (STYLE §9.5): pragmas, and write transactions that start `BEGIN IMMEDIATE` so two
 * writers never deadlock on a read-to-write upgrade. Queries live in `store/sql`.
 *
 * Another process holding the write lock: better-sqlite3 is synchronous, so SQLite's own
 * `busy_timeout` wait would block the event loop (every request, /healthz included) for as long as
 * it lasts. The busy timeout is therefore only a few milliseconds; a statement that still finds the
 * database locked is retried after an asynchronous backoff, until a deadline (`lockTimeoutMs`) that
 * starts when the query asks for the connection, so it also bounds the wait behind writes queued in
 * this process. Past it the query fails with StoreUnavailableError (503 temporarily_unavailable).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  Kysely,
  type SqliteDatabase as KyselySqliteDatabase,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import type { Database } from '../sql/database.js';
import { tracedDialect } from '../sql/traced-dialect.js';
import { StoreUnavailableError } from '../unavailable.js';
import {
  type CheckpointReport,
  DEFAULT_AUTOCHECKPOINT_PAGES,
  startWalCheckpointer,
  type WalCheckpointer,
} from './wal-checkpointer.js';

/**
 * SQLite's own busy wait per attempt, which blocks the event loop: short enough that /healthz stays
 * prompt while another process holds the lock, long enough to absorb that process's normal, short
 * writes without a retry (docs/operations.md has the measurements).
 */
export const BUSY_WAIT_MS = 10;
/** Backoff between attempts: 1, 2, 4 … ms, at most this. */
const MAX_BACKOFF_MS = 50;
const DEFAULT_LOCK_TIMEOUT_MS = 5000;

function lockedOut(cause?: unknown): StoreUnavailableError {
  return new StoreUnavailableError(
    'database unavailable: SQLite is locked by another process',
    cause === undefined ? undefined : { cause },
  );
}

function isBusy(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A fair FIFO mutex; a waiter may give up at a deadline. */
class Mutex {
  #locked = false;
  readonly #waiters: (() => void)[] = [];

  lock(deadline?: number): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = () => {
        clearTimeout(timer);
        resolve();
      };
      if (deadline !== undefined) {
        timer = setTimeout(
          () => {
            const index = this.#waiters.indexOf(waiter);
            if (index >= 0) {
              this.#waiters.splice(index, 1);
              reject(lockedOut());
            }
          },
          Math.max(0, deadline - Date.now()),
        );
      }
      this.#waiters.push(waiter);
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

/** Most prepared statements kept per connection (distinct SQL texts; `IN (…)` lists vary). */
const MAX_CACHED_STATEMENTS = 500;

/**
 * The connection as Kysely's driver sees it, with statements kept by their SQL text. Kysely calls
 * `prepare` for every query, and better-sqlite3 parses and plans the SQL each time; a statement
 * prepared once is reused (SQLite re-prepares it by itself should the schema change). Safe because
 * the driver runs one query at a time on this connection, and every statement is run to completion
 * (`all`/`run`) before the next one. Oldest out first when full.
 */
function cachingStatements(sqlite: SqliteDatabase.Database): KyselySqliteDatabase {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text) {
      let statement = statements.get(text);
      if (statement === undefined) {
        statement = sqlite.prepare(text);
        if (statements.size >= MAX_CACHED_STATEMENTS) {
          const oldest = statements.keys().next();
          if (oldest.done !== true) {
            statements.delete(oldest.value);
          }
        }
        statements.set(text, statement);
      }
      return statement;
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
  readonly #sqlite: SqliteDatabase.Database;
  readonly #lockTimeoutMs: number;
  readonly #checkpointer: WalCheckpointer | undefined;

  constructor(
    sqlite: SqliteDatabase.Database,
    fileLock: { mutex: Mutex; release: () => void } | undefined,
    lockTimeoutMs: number,
    checkpointer: WalCheckpointer | undefined,
  ) {
    super({ database: cachingStatements(sqlite) });
    this.#fileLock = fileLock;
    this.#sqlite = sqlite;
    this.#lockTimeoutMs = lockTimeoutMs;
    this.#checkpointer = checkpointer;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const deadline = Date.now() + this.#lockTimeoutMs;
    await this.#fileLock?.mutex.lock(deadline);
    let connection: DatabaseConnection;
    try {
      connection = await super.acquireConnection();
    } catch (error) {
      this.#fileLock?.mutex.unlock();
      throw error;
    }
    return this.#fileLock === undefined ? connection : this.#retrying(connection, deadline);
  }

  /**
   * The connection, with statements that find the database locked retried until `deadline`. Only
   * outside a transaction (an autocommit statement, or the `BEGIN IMMEDIATE` itself), where a busy
   * statement has changed nothing; inside one, the transaction already holds the write lock.
   */
  #retrying(connection: DatabaseConnection, deadline: number): DatabaseConnection {
    const sqlite = this.#sqlite;
    return {
      async executeQuery(query) {
        let backoff = 1;
        for (;;) {
          try {
            return await connection.executeQuery(query);
          } catch (error) {
            if (!isBusy(error)) {
              throw error;
            }
            const left = deadline - Date.now();
            if (sqlite.inTransaction || left <= 0) {
              throw lockedOut(error);
            }
            await sleep(Math.min(backoff, left));
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
          }
        }
      },
      streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
    };
  }

  override async releaseConnection(): Promise<void> {
    await super.releaseConnection();
    this.#fileLock?.mutex.unlock();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  /**
   * SQLite rolls a transaction back by itself on some errors (a full disk, an I/O error): a
   * ROLLBACK then fails with "no transaction is active", and Kysely would throw that instead of
   * the error that ended the transaction (a 500 instead of the outage's 503).
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.#sqlite.inTransaction) {
      await super.rollbackTransaction(connection);
    }
  }

  override async destroy(): Promise<void> {
    await this.#checkpointer?.stop();
    await super.destroy();
    this.#fileLock?.release();
  }
}

/**
 * SQLite runs DDL inside transactions (CREATE, ALTER and DROP roll back like any write), which
 * Kysely's adapter does not claim, so its migrator would run each statement on its own: a process
 * killed mid-migration would leave half a schema ("table … already exists") that no later start
 * gets past. Claiming it makes the migrator run the pending migrations in one transaction.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #sqlite: SqliteDatabase.Database;
  readonly #fileLock: { mutex: Mutex; release: () => void } | undefined;
  readonly #lockTimeoutMs: number;
  readonly #checkpointer: WalCheckpointer | undefined;

  constructor(
    sqlite: SqliteDatabase.Database,
    fileLock: { mutex: Mutex; release: () => void } | undefined,
    lockTimeoutMs: number,
    checkpointer: WalCheckpointer | undefined,
  ) {
    super({ database: sqlite } satisfies SqliteDialectConfig);
    this.#sqlite = sqlite;
    this.#fileLock = fileLock;
    this.#lockTimeoutMs = lockTimeoutMs;
    this.#checkpointer = checkpointer;
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#sqlite, this.#fileLock, this.#lockTimeoutMs, this.#checkpointer);
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
  /**
   * How long a query may wait, in all, for another process's write lock and for the queries of this
   * process queued before it (default 5000 ms); then it fails with StoreUnavailableError.
   */
  lockTimeoutMs?: number;
  /**
   * A database file's WAL is checkpointed on a worker thread this often (default 50 ms), off the
   * event loop (sqlite/wal-checkpointer.ts); 0 leaves it to SQLite on the committing connection.
   */
  checkpointIntervalMs?: number;
  /**
   * With the worker, the WAL size in pages past which the committing connection checkpoints on the
   * loop after all (default 10,000, ~40 MB): the bound when the worker falls behind.
   */
  walFallbackPages?: number;
  /** Told about every checkpoint the worker ran (tests, diagnostics). */
  onCheckpoint?: (report: CheckpointReport) => void;
}

const DEFAULT_CHECKPOINT_INTERVAL_MS = 50;
const DEFAULT_WAL_FALLBACK_PAGES = 10_000;

/** The worker checkpointing a WAL database file, with the loop's bound raised to the fallback. */
function checkpointOffTheLoop(
  sqlite: SqliteDatabase.Database,
  path: string,
  options: SqliteOptions,
): WalCheckpointer | undefined {
  const intervalMs = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
  if (intervalMs <= 0 || sqlite.pragma('journal_mode', { simple: true }) !== 'wal') {
    return undefined;
  }
  const checkpointer = startWalCheckpointer(path, {
    intervalMs,
    ...(options.onCheckpoint === undefined ? {} : { onCheckpoint: options.onCheckpoint }),
    onFailure: () => {
      // Back to SQLite's own checkpoints on the committing connection.
      if (sqlite.open) {
        sqlite.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
      }
    },
  });
  sqlite.pragma(
    `wal_autocheckpoint = ${Math.max(1, options.walFallbackPages ?? DEFAULT_WAL_FALLBACK_PAGES)}`,
  );
  return checkpointer;
}

/** Opens `:memory:` or a database file (its directory is created when missing). */
export function openSqlite(path: string, options: SqliteOptions = {}): SqliteHandle {
  const memory = path === ':memory:' || path === '';
  const resolved = memory ? ':memory:' : resolve(path);
  if (!memory) {
    mkdirSync(dirname(resolved), { recursive: true });
  }
  const sqlite = new SqliteDatabase(resolved, { timeout: BUSY_WAIT_MS });
  if (!memory) {
    sqlite.pragma('journal_mode = WAL');
  }
  sqlite.pragma(`busy_timeout = ${BUSY_WAIT_MS}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('synchronous = NORMAL');
  const fileLock = memory ? undefined : acquireFileLock(resolved);
  const checkpointer = memory ? undefined : checkpointOffTheLoop(sqlite, resolved, options);
  const db = new Kysely<Database>({
    dialect: tracedDialect(
      new ImmediateSqliteDialect(
        sqlite,
        fileLock,
        options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
        checkpointer,
      ),
      'sqlite',
    ),
  });
  return { db, sqlite, path: resolved };
}
