/**
 * `store/postgres` builds the Kysely instance for PostgreSQL (`pg` Pool) and holds the PostgreSQL
 * differences (STYLE §9.5): schema selection, BIGINT parsing and LISTEN/NOTIFY (notify-bridge.ts).
 * Queries live in `store/sql`.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../sql/database.js';

const INT8_OID = 20;

/** Times and ids are BIGINT; pg returns them as strings unless told otherwise. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new RangeError(`invalid schema name ${JSON.stringify(schema)}: use [a-z_][a-z0-9_]*`);
  }
}

export interface PostgresOptions {
  /** Every connection's `search_path`; the schema is created when absent. */
  schema?: string;
  /** Pool size (default 10). */
  max?: number;
}

export interface PostgresHandle {
  db: Kysely<Database>;
  pool: pg.Pool;
}

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<PostgresHandle> {
  const config: pg.PoolConfig = { connectionString: url, types, max: options.max ?? 10 };
  if (options.schema !== undefined) {
    assertSchemaName(options.schema);
    // A startup parameter, so it holds on every pooled connection from its first query.
    config.options = `-c search_path=${options.schema}`;
  }
  const pool = new pg.Pool(config);
  // An idle client's error (e.g. the server restarted) must not crash the process; the pool drops it.
  pool.on('error', () => {});
  if (options.schema !== undefined) {
    try {
      await pool.query(`create schema if not exists "${options.schema}"`);
    } catch (error) {
      // Two processes creating the schema at once: the loser sees a duplicate, which is fine.
      const code = (error as { code?: unknown }).code;
      if (code !== '23505' && code !== '42P06') {
        await pool.end();
        throw error;
      }
    }
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, pool };
}
