/**
 * One OpenTelemetry span per SQL query (DESIGN §2: the store is the only code that runs SQL, so every
 * query passes here). Span name and attributes follow the database semantic conventions: the
 * operation (`SELECT`, `INSERT`…) as the name, `db.system` / `db.system.name`, `db.operation.name`
 * and `db.query.text`, the parameterised SQL Kysely compiled: values travel as parameters, which are
 * never recorded. With no SDK registered the spans are the API's no-op.
 */
import { SpanKind } from '@opentelemetry/api';
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult } from 'kysely';
import { recordFailure, tracer } from '../../tracing.js';

export type DbSystem = 'sqlite' | 'postgresql';

function operationOf(sql: string): string {
  return /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'QUERY';
}

function traceConnection(connection: DatabaseConnection, system: DbSystem): void {
  const execute = connection.executeQuery.bind(connection);
  connection.executeQuery = async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
    const span = tracer.startSpan('db.query', { kind: SpanKind.CLIENT });
    // Without an SDK the span is the no-op one: skip even reading the SQL.
    if (span.isRecording()) {
      const operation = operationOf(query.sql);
      span.updateName(operation);
      span.setAttributes({
        'db.system': system,
        'db.system.name': system,
        'db.operation.name': operation,
        'db.query.text': query.sql,
      });
    }
    try {
      return await execute<R>(query);
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  };
}

/** The driver, its connections wrapped once each (the pool hands the same ones out again). */
function tracedDriver(driver: Driver, system: DbSystem): Driver {
  const traced = new WeakSet<DatabaseConnection>();
  const acquire = driver.acquireConnection.bind(driver);
  driver.acquireConnection = async () => {
    const connection = await acquire();
    if (!traced.has(connection)) {
      traceConnection(connection, system);
      traced.add(connection);
    }
    return connection;
  };
  return driver;
}

export function tracedDialect(dialect: Dialect, system: DbSystem): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => tracedDriver(dialect.createDriver(), system),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}
