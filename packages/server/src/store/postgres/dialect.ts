/**
 * `store/postgres` builds the Kysely instance for PostgreSQL (`pg` Pool) and holds the PostgreSQL
 * differences (STYLE §9.5): schema selection, BIGINT parsing and LISTEN/NOTIFY (notify-bridge.ts).
 * Queries live in `store/sql`.
 */
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import type { Database } from '../sql/database.js';
import { tracedDialect } from '../sql/traced-dialect.js';
import { asStoreUnavailable, isStoreUnavailable } from '../unavailable.js';

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
  /**
   * Longest wait for a connection, new or from a full pool (default 5000 ms); then the query fails
   * as unavailable instead of hanging on a frozen or unreachable server.
   */
  connectTimeoutMs?: number;
  /**
   * Server-side `statement_timeout` (default 5000 ms). The client gives up 1 s later on its own
   * (`query_timeout`), for a server that no longer answers at all, and drops that connection.
   */
  statementTimeoutMs?: number;
  /** Told about errors of idle or checked-out connections (the pool replaces them; never fatal). */
  onConnectionError?: (error: Error) => void;
}

/** Defaults of the bounds above (the config schema documents the same values). */
export const POSTGRES_DEFAULTS = { connectTimeoutMs: 5000, statementTimeoutMs: 5000 } as const;

/** TCP keep-alive probes start after this idle time, so a vanished peer is noticed in seconds. */
const KEEPALIVE_DELAY_MS = 10_000;
/** How much longer than `statement_timeout` the client waits before it declares the server hung. */
const CLIENT_TIMEOUT_MARGIN_MS = 1000;

export interface PostgresHandle {
  db: Kysely<Database>;
  pool: pg.Pool;
}

/**
 * The pool as Kysely sees it. A query that fails because the database is unavailable is rethrown as
 * a StoreUnavailableError, and its connection is ended at once: after a client-side timeout the
 * query is still pending on that socket (pg would queue the next query behind it, and a transaction's
 * ROLLBACK with it), so the pool must open a fresh connection instead.
 */
function guardedPool(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw asStoreUnavailable(error);
      }
      const query = async (text: string, parameters: ReadonlyArray<unknown>) => {
        try {
          return await client.query(text, [...parameters]);
        } catch (error) {
          if (isStoreUnavailable(error) && !isServerReply(error)) {
            client.end().catch(() => {});
          }
          throw asStoreUnavailable(error);
        }
      };
      return {
        query: query as unknown as PostgresPoolClient['query'],
        release: (destroy) => client.release(destroy),
      };
    },
    end: () => pool.end(),
  };
}

/** An error the server sent (SQLSTATE), after which the connection itself is still usable. */
function isServerReply(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    typeof code === 'string' &&
    /^[0-9A-Z]{5}$/.test(code) &&
    !code.startsWith('08') &&
    !code.startsWith('57P')
  );
}

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<PostgresHandle> {
  const statementTimeout = options.statementTimeoutMs ?? POSTGRES_DEFAULTS.statementTimeoutMs;
  const config: pg.PoolConfig = {
    connectionString: url,
    types,
    max: options.max ?? 10,
    application_name: 'tessera',
    connectionTimeoutMillis: options.connectTimeoutMs ?? POSTGRES_DEFAULTS.connectTimeoutMs,
    statement_timeout: statementTimeout,
    // A session whose node vanished mid-transaction (a partition, a frozen host) would keep its
    // locks until PostgreSQL's keep-alive notices, hours by default; the revocation lock among
    // them would stop every node's revocations. Tessera never waits inside a transaction, so a
    // transaction idle for as long as a statement may run has lost its node: PostgreSQL ends it.
    idle_in_transaction_session_timeout: statementTimeout,
    query_timeout: statementTimeout + CLIENT_TIMEOUT_MARGIN_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
  };
  if (options.schema !== undefined) {
    assertSchemaName(options.schema);
    // A startup parameter, so it holds on every pooled connection from its first query.
    config.options = `-c search_path=${options.schema}`;
  }
  const pool = new pg.Pool(config);
  const report = options.onConnectionError ?? (() => {});
  // An idle client's error (e.g. the server restarted) must not crash the process; the pool drops it.
  pool.on('error', (error) => report(error));
  // Nor may the error of a client that is checked out: pg emits 'error' on it when its socket dies
  // mid-query, and an 'error' event without a listener ends the process. The query itself fails
  // (its caller sees it), and the pool discards the client on release (it is no longer queryable).
  pool.on('connect', (client) => {
    client.on('error', (error) => report(error));
  });
  if (options.schema !== undefined) {
    try {
      await pool.query(`create schema if not exists "${options.schema}"`);
    } catch (error) {
      // Two processes creating the schema at once: the loser sees a duplicate, which is fine.
      const code = (error as { code?: unknown }).code;
      if (code !== '23505' && code !== '42P06') {
        await pool.end();
        throw asStoreUnavailable(error);
      }
    }
  }
  const db = new Kysely<Database>({
    dialect: tracedDialect(new PostgresDialect({ pool: guardedPool(pool) }), 'postgresql'),
  });
  return { db, pool };
}
