/** Refresh tokens in rotation families (RFC 9700 §4.14): rotate once, a reuse revokes the family. */
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { RefreshTokenRecord, RefreshTokenStore, RotateResult } from '../ports.js';
import { batchLimit } from './batch-limit.js';
import { atomic, count, fromJson, type SqlContext, toJson, unique } from './context.js';
import type { Database, RefreshTokenRow } from './database.js';

function toRefreshToken(row: RefreshTokenRow): RefreshTokenRecord {
  return {
    hash: row.hash,
    familyId: row.family_id,
    clientId: row.client_id,
    userId: row.user_id,
    sessionId: row.session_id,
    scope: fromJson(row.scope),
    audience: fromJson(row.audience),
    authTime: row.auth_time,
    amr: fromJson(row.amr),
    acr: row.acr,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    familyExpiresAt: row.family_expires_at,
    usedAt: row.used_at,
    revokedAt: row.revoked_at,
  };
}

async function insert(db: Kysely<Database>, token: RefreshTokenRecord): Promise<void> {
  await unique('refresh token already exists', () =>
    db
      .insertInto('refresh_tokens')
      .values({
        hash: token.hash,
        family_id: token.familyId,
        client_id: token.clientId,
        user_id: token.userId,
        session_id: token.sessionId,
        scope: toJson(token.scope),
        audience: toJson(token.audience),
        auth_time: token.authTime,
        amr: toJson(token.amr),
        acr: token.acr,
        issued_at: token.issuedAt,
        expires_at: token.expiresAt,
        family_expires_at: token.familyExpiresAt,
        used_at: token.usedAt,
        revoked_at: token.revokedAt,
      })
      .execute(),
  );
}

async function revokeFamilies(db: Kysely<Database>, familyIds: string[], now: number): Promise<void> {
  if (familyIds.length === 0) {
    return;
  }
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .where('family_id', 'in', familyIds)
    .where('revoked_at', 'is', null)
    .execute();
}

export function refreshTokenStore(ctx: SqlContext): RefreshTokenStore {
  return {
    insertRefreshToken(token) {
      return insert(ctx.db, token);
    },

    async findRefreshToken(hash) {
      const row = await ctx.db
        .selectFrom('refresh_tokens')
        .selectAll()
        .where('hash', '=', hash)
        .executeTakeFirst();
      return row === undefined ? undefined : toRefreshToken(row);
    },

    rotateRefreshToken(oldHash, next, now) {
      return atomic(ctx, async (db): Promise<RotateResult> => {
        // The conditional UPDATE is the race arbiter: concurrent callers block on the winner's row
        // lock (PostgreSQL) or on BEGIN IMMEDIATE (SQLite), then find `used_at` set.
        const won = await db
          .updateTable('refresh_tokens')
          .set({ used_at: now })
          .where('hash', '=', oldHash)
          .where('used_at', 'is', null)
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', now)
          .where('family_expires_at', '>', now)
          .returningAll()
          .executeTakeFirst();
        if (won !== undefined) {
          await insert(db, next);
          return { status: 'rotated', previous: toRefreshToken(won) };
        }
        const row = await db
          .selectFrom('refresh_tokens')
          .selectAll()
          .where('hash', '=', oldHash)
          .executeTakeFirst();
        if (row === undefined) {
          return { status: 'not_found' };
        }
        if (row.used_at !== null) {
          // RFC 9700 §4.14.2: a used refresh token presented again means one of the two parties
          // is an attacker; revoke the whole family, in this same transaction.
          await revokeFamilies(db, [row.family_id], now);
          return { status: 'reused', previous: toRefreshToken(row) };
        }
        return { status: 'not_found' };
      });
    },

    async revokeRefreshTokens(filter, now) {
      if (
        filter.familyId === undefined &&
        filter.clientId === undefined &&
        filter.userId === undefined &&
        filter.sessionId === undefined
      ) {
        throw new TypeError('revokeRefreshTokens needs at least one filter');
      }
      return atomic(ctx, async (db) => {
        let query = db
          .selectFrom('refresh_tokens')
          .select('family_id')
          .distinct()
          .where('revoked_at', 'is', null);
        if (filter.familyId !== undefined) {
          query = query.where('family_id', '=', filter.familyId);
        }
        if (filter.clientId !== undefined) {
          query = query.where('client_id', '=', filter.clientId);
        }
        if (filter.userId !== undefined) {
          query = query.where('user_id', '=', filter.userId);
        }
        if (filter.sessionId !== undefined) {
          query = query.where('session_id', '=', filter.sessionId);
        }
        const families = (await query.orderBy('family_id').execute()).map((row) => row.family_id);
        await revokeFamilies(db, families, now);
        return families;
      });
    },

    async purgeExpiredRefreshTokens(now, limit) {
      // A used token stays until its family expires: presenting it again is how reuse is detected
      // (RFC 9700 §4.14.2), even after its own sliding expiry.
      const dead = (eb: ExpressionBuilder<Database, 'refresh_tokens'>) =>
        eb.or([
          eb('family_expires_at', '<=', now),
          eb.and([
            eb('expires_at', '<=', now),
            eb.or([eb('used_at', 'is', null), eb('revoked_at', 'is not', null)]),
          ]),
        ]);
      const result = await ctx.db
        .deleteFrom('refresh_tokens')
        .where(dead)
        .$if(limit !== undefined, (query) =>
          query.where('hash', 'in', (eb) =>
            eb.selectFrom('refresh_tokens').select('hash').where(dead).limit(batchLimit(limit)),
          ),
        )
        .executeTakeFirst();
      return count(result.numDeletedRows);
    },
  };
}
