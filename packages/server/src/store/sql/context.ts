/** What every aggregate module shares: the bound database, the dialect and small codecs. */
import type { Kysely } from 'kysely';
import { ConflictError, type Page } from '../ports.js';
import type { Database } from './database.js';

export type SqlDialectName = 'sqlite' | 'postgres';

export interface SqlContext {
  /** The database, or the transaction this store is bound to. */
  readonly db: Kysely<Database>;
  readonly dialect: SqlDialectName;
  readonly inTransaction: boolean;
}

/**
 * Runs `fn` in one write transaction: the current one when the store is bound to a transaction,
 * otherwise a new one (on SQLite it starts `BEGIN IMMEDIATE`, see sqlite/dialect.ts).
 */
export function atomic<T>(ctx: SqlContext, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  if (ctx.inTransaction) {
    return fn(ctx.db);
  }
  return ctx.db.transaction().execute(fn);
}

export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

export function fromJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

export function toFlag(value: boolean): number {
  return value ? 1 : 0;
}

export function fromFlag(value: number): boolean {
  return value !== 0;
}

/** `numAffectedRows` and friends arrive as bigint. */
export function count(value: bigint | number | undefined): number {
  return value === undefined ? 0 : Number(value);
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

export function isUniqueViolation(error: unknown): boolean {
  const code = errorCode(error);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Runs `fn`, turning a uniqueness violation into a {@link ConflictError}. */
export async function unique<T>(message: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ConflictError(message);
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Pages: keyset pagination on (created_at, id), or on a numeric id; the cursor is opaque.
// ---------------------------------------------------------------------------------------------

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) {
    return DEFAULT_PAGE_SIZE;
  }
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit)));
}

export interface KeyCursor {
  at: number;
  id: string;
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decode(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new RangeError('invalid page cursor');
  }
}

export function encodeKeyCursor(at: number, id: string): string {
  return encode([at, id]);
}

export function decodeKeyCursor(cursor: string | undefined): KeyCursor | undefined {
  if (cursor === undefined) {
    return undefined;
  }
  const value = decode(cursor);
  if (!Array.isArray(value) || typeof value[0] !== 'number' || typeof value[1] !== 'string') {
    throw new RangeError('invalid page cursor');
  }
  return { at: value[0], id: value[1] };
}

export function encodeIdCursor(id: number): string {
  return encode(id);
}

export function decodeIdCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) {
    return undefined;
  }
  const value = decode(cursor);
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new RangeError('invalid page cursor');
  }
  return value;
}

/** Rows were fetched with `limit + 1`: the extra row only says that there is a next page. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
  cursorOf: (row: R) => string,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const page: Page<T> = { items: items.map(map) };
  if (rows.length > limit && last !== undefined) {
    page.next = cursorOf(last);
  }
  return page;
}
