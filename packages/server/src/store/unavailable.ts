/**
 * "The database cannot answer right now" — an outage, a hang or a lock held too long — as opposed to a
 * bad query or a broken constraint. The adapters turn such failures into {@link StoreUnavailableError};
 * the HTTP layer answers them `503 temporarily_unavailable` with `Retry-After` instead of a 500, and
 * the pool drops the connection they happened on. {@link isStoreUnavailable} is the one classifier.
 */

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/** Socket errors of a database that is down, unreachable or restarting. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs of an unavailable server (Appendix A): connection exceptions (class 08),
 * insufficient resources (class 53: disk full, out of memory, too many connections), shutdowns and
 * "starting up" (57P01–57P03), a session ended for idling (57P05, 25P03), statement_timeout / cancel
 * (57014), lock_timeout (55P03), an I/O error (58030), and a write refused because the server is
 * read-only (25006: a standby, or a primary set `default_transaction_read_only` during a failover).
 * Each passes once the operator or the failover fixes the server, with no change to the request.
 */
const UNAVAILABLE_SQLSTATES: ReadonlySet<string> = new Set([
  '25006',
  '25P03',
  '55P03',
  '57014',
  '57P01',
  '57P02',
  '57P03',
  '57P05',
  '58030',
]);

function isUnavailableSqlState(code: string): boolean {
  return code.startsWith('08') || code.startsWith('53') || UNAVAILABLE_SQLSTATES.has(code);
}

/** node-postgres reports a lost or hung connection by message only. */
const PG_MESSAGES = [
  /^Connection terminated/,
  /^timeout expired$/,
  /^Query read timeout$/,
  /^timeout exceeded when trying to connect$/,
  /not queryable/,
  /^Postgres connection has been discarded$/,
];

/**
 * SQLite result codes (with their extended forms) of a database file that cannot take a write now:
 * another connection holds the lock (SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, …), the disk is full
 * (SQLITE_FULL), the file or its filesystem turned read-only (SQLITE_READONLY_*), or the disk
 * failed to read or write (SQLITE_IOERR_*, SQLITE_CANTOPEN_*). All pass once the operator frees
 * space or fixes the mount, with no restart, so they are an outage, not a bad request.
 */
const SQLITE_UNAVAILABLE = [
  'SQLITE_BUSY',
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
];

function isUnavailableCode(code: unknown): boolean {
  if (typeof code !== 'string') {
    return false;
  }
  return (
    NETWORK_CODES.has(code) ||
    SQLITE_UNAVAILABLE.some((prefix) => code.startsWith(prefix)) ||
    isUnavailableSqlState(code)
  );
}

/** True when `error` (or what it wraps) says the database is unavailable rather than the request bad. */
export function isStoreUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) {
    return false;
  }
  if (error instanceof StoreUnavailableError) {
    return true;
  }
  const { code, message, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (isUnavailableCode(code)) {
    return true;
  }
  if (typeof message === 'string' && code === undefined && PG_MESSAGES.some((re) => re.test(message))) {
    return true;
  }
  // Node reports a refused dual-stack connect as an AggregateError of the per-address failures.
  if (Array.isArray(errors) && errors.some((inner) => isStoreUnavailable(inner, depth + 1))) {
    return true;
  }
  return cause !== undefined && isStoreUnavailable(cause, depth + 1);
}

/** `error` as a {@link StoreUnavailableError} when it is one in substance; otherwise unchanged. */
export function asStoreUnavailable(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isStoreUnavailable(error)) {
    return error;
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`database unavailable: ${detail}`, { cause: error });
}
