/**
 * A persistent {@link SessionBackend} on SQLite through a better-sqlite3 `Database` the
 * application opens (the BFF does not depend on better-sqlite3 itself). Compare-and-swap is one
 * `UPDATE … WHERE version = ?`, atomic in SQLite; records hold only sealed (encrypted) text.
 */
import type { SessionBackend } from './session-backend.js';

/**
 * The part of a better-sqlite3 `Database` this backend uses.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * const database: SqliteDatabase = new Database('bff-sessions.db');
 * ```
 */
export interface SqliteDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): {
    run(...params: unknown[]): { changes: number };
    get(...params: unknown[]): unknown;
  };
}

/**
 * Creates the SQLite backend (and its table, `tessera_bff_sessions` by default).
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * import { createBff, createSqliteSessionBackend } from '@tessera/client/bff';
 *
 * const database = new Database('bff-sessions.db');
 * database.pragma('journal_mode = WAL');
 * const bff = createBff({ ...options, sessions: createSqliteSessionBackend({ database }) });
 * ```
 */
export function createSqliteSessionBackend(options: {
  database: SqliteDatabase;
  table?: string;
}): SessionBackend {
  const table = options.table ?? 'tessera_bff_sessions';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) {
    throw new TypeError('The session table name must be a plain SQL identifier');
  }
  const db = options.database;
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, data TEXT NOT NULL, version INTEGER NOT NULL, expires_at INTEGER NOT NULL)`,
  );
  const select = db.prepare(
    `SELECT data, version, expires_at AS expiresAt FROM ${table} WHERE id = ? AND expires_at > ?`,
  );
  const insert = db.prepare(
    `INSERT INTO ${table} (id, data, version, expires_at) VALUES (?, ?, 1, ?)
     ON CONFLICT (id) DO UPDATE SET data = excluded.data, version = 1, expires_at = excluded.expires_at
     WHERE ${table}.expires_at <= ?`,
  );
  const update = db.prepare(
    `UPDATE ${table} SET data = ?, version = version + 1, expires_at = ? WHERE id = ? AND version = ? AND expires_at > ?`,
  );
  const remove = db.prepare(`DELETE FROM ${table} WHERE id = ?`);
  const sweep = db.prepare(`DELETE FROM ${table} WHERE expires_at <= ?`);
  let writes = 0;
  return {
    async get(key, now) {
      const row = select.get(key, now) as { data: string; version: number; expiresAt: number } | undefined;
      return row === undefined
        ? undefined
        : { data: row.data, version: row.version, expiresAt: row.expiresAt };
    },
    async put(key, expectedVersion, data, expiresAt, now) {
      if (++writes % 1000 === 0) {
        sweep.run(now);
      }
      if (expectedVersion === undefined) {
        // Insert, or take over an expired row; a live row means someone else owns the key.
        return insert.run(key, data, expiresAt, now).changes === 1 ? 1 : undefined;
      }
      return update.run(data, expiresAt, key, expectedVersion, now).changes === 1
        ? expectedVersion + 1
        : undefined;
    },
    async delete(key) {
      remove.run(key);
    },
  };
}
