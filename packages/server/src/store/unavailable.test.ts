import { describe, expect, it } from 'vitest';
import { asStoreUnavailable, isStoreUnavailable, StoreUnavailableError } from './unavailable.js';

/** A node-postgres error: a message and the SQLSTATE in `code`. */
const pgError = (code: string) => Object.assign(new Error(`postgres said ${code}`), { code });

describe('which database errors are an outage (503 + Retry-After), not a bad request or a bug', () => {
  it.each([
    ['08006', 'connection failure'],
    ['25006', 'read_only_sql_transaction: a standby, or a primary set read-only during a failover'],
    ['25P03', 'idle_in_transaction_session_timeout ended the session'],
    ['53100', 'disk_full'],
    ['53200', 'out_of_memory'],
    ['53300', 'too_many_connections'],
    ['55P03', 'lock_not_available (lock_timeout)'],
    ['57014', 'query_canceled (statement_timeout)'],
    ['57P01', 'admin_shutdown'],
    ['57P05', 'idle_session_timeout ended the session'],
    ['58030', 'io_error'],
  ])('PostgreSQL SQLSTATE %s (%s) is unavailable', (code) => {
    expect(isStoreUnavailable(pgError(code))).toBe(true);
    expect(asStoreUnavailable(pgError(code))).toBeInstanceOf(StoreUnavailableError);
  });

  it.each([
    ['23505', 'unique_violation'],
    ['22P02', 'invalid_text_representation'],
    ['42P01', 'undefined_table'],
    ['40001', 'serialization_failure'],
  ])('PostgreSQL SQLSTATE %s (%s) is not', (code) => {
    expect(isStoreUnavailable(pgError(code))).toBe(false);
  });
});
