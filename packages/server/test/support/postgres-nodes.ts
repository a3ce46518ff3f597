/**
 * Server nodes on one PostgreSQL schema, for cross-node tests (DESIGN §6): each node is a real
 * runtime (no socket) with its own pool and bus connection, all on a schema of this run's own that
 * `dropSchema` removes afterwards. Settings are the test bootstrap's, plus `overrides`.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Clock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { TEST_ADMIN_TOKEN, TEST_ISSUER, TEST_MASTER_KEY } from './bootstrap.js';
import { POSTGRES_URL } from './requirements.js';

/** A schema name no other run uses, e.g. `t_keys_1a2b3c4d5e6f`. */
export function uniqueSchema(prefix: string): string {
  return `t_${prefix}_${randomBytes(6).toString('hex')}`;
}

export interface PostgresNodeOptions {
  schema: string;
  /** The node's id on the bus; also names its LISTEN connection (`tessera-bus-<nodeId>`). */
  nodeId: string;
  clock: Clock;
  /** Defaults to the test PostgreSQL (a test may route one node through a proxy). */
  url?: string;
  /** Config values by dotted path, over the defaults below. */
  overrides?: Record<string, unknown>;
}

export function startPostgresNode(options: PostgresNodeOptions): Promise<Runtime> {
  const config = loadConfig({
    env: {},
    overrides: {
      dev: true,
      issuer: TEST_ISSUER,
      'database.url': options.url ?? POSTGRES_URL,
      'database.schema': options.schema,
      masterKey: TEST_MASTER_KEY,
      adminToken: TEST_ADMIN_TOKEN,
      'log.level': 'silent',
      ...options.overrides,
    },
  });
  return createRuntime(config, {
    clock: options.clock,
    nodeId: options.nodeId,
    logger: createLogger({ level: 'silent' }),
  });
}

/** Runs `statements` in order on one connection as the test PostgreSQL's superuser. */
export async function asSuperuser(...statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    for (const statement of statements) {
      await client.query(statement);
    }
  } finally {
    await client.end();
  }
}

export function dropSchema(schema: string): Promise<void> {
  return asSuperuser(`drop schema if exists "${schema}" cascade`);
}
