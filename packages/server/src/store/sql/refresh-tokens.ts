/** Refresh tokens in rotation families (RFC 9700 §4.14): rotate once, a reuse revokes the family. */
import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { RefreshTokenRecord, RefreshTokenStore, ReuseGrace, RotateResult } from '../ports.js';
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
    jkt: row.dpop_jkt,
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
        dpop_jkt: token.jkt,
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
  // A revoked family has nothing left to retry: drop the sealed successors it kept for the grace.
  await forgetSealedSuccessors(db, { familyIds });
}

/** Drops sealed successors: of whole families, of one token's predecessor, or whose grace ended. */
async function forgetSealedSuccessors(
  db: Kysely<Database>,
  which: { familyIds: string[] } | { familyId: string; successorHash: string } | { graceEndedBy: number },
): Promise<void> {
  let query = db
    .updateTable('refresh_tokens')
    .set({ successor_sealed: null, grace_until: null })
    .where('successor_sealed', 'is not', null);
  if ('familyIds' in which) {
    query = query.where('family_id', 'in', which.familyIds);
  } else if ('familyId' in which) {
    query = query.where('family_id', '=', which.familyId).where('successor_hash', '=', which.successorHash);
  } else {
    query = query.where('grace_until', '<=', which.graceEndedBy);
  }
  await query.execute();
}

/** The successor a retry within the reuse grace may return: still current at `now`. */
async function currentSuccessor(
  db: Kysely<Database>,
  row: RefreshTokenRow,
  now: number,
): Promise<RefreshTokenRow | undefined> {
  if (
    row.revoked_at !== null ||
    row.grace_until === null ||
    now >= row.grace_until ||
    row.successor_sealed === null ||
    row.successor_hash === null
  ) {
    return undefined;
  }
  const successor = await db
    .selectFrom('refresh_tokens')
    .selectAll()
    .where('hash', '=', row.successor_hash)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where('family_expires_at', '>', now)
    .executeTakeFirst();
  return successor;
}

/** The race arbiter: marks `oldHash` used if it is still live, recording its successor. */
function markUsed(
  db: Kysely<Database>,
  oldHash: string,
  next: RefreshTokenRecord,
  now: number,
  grace: ReuseGrace | undefined,
) {
  return db
    .updateTable('refresh_tokens')
    .set({
      used_at: now,
      successor_hash: next.hash,
      successor_sealed: grace?.sealedSuccessor ?? null,
      grace_until: grace?.until ?? null,
    })
    .where('hash', '=', oldHash)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where('family_expires_at', '>', now)
    .returningAll();
}

/**
 * PostgreSQL's data-modifying CTEs: mark used, insert the successor and drop the sealed copy the
 * predecessor kept, in one atomic statement, the last two only if the first won. Concurrent
 * statements on one token queue on its row lock and re-check `used_at` (READ COMMITTED), so exactly
 * one wins. Undefined when it did not win: the caller's transaction then tells why (reuse, retry,
 * expired or unknown), as on SQLite.
 */
async function rotateInOneStatement(
  db: Kysely<Database>,
  oldHash: string,
  next: RefreshTokenRecord,
  now: number,
  grace: ReuseGrace | undefined,
): Promise<RefreshTokenRow | undefined> {
  const time = (value: number | null) => sql<number>`cast(${value} as bigint)`;
  return unique('refresh token already exists', () =>
    db
      .with('won', () => markUsed(db, oldHash, next, now, grace))
      .with('successor', (w) =>
        w
          .insertInto('refresh_tokens')
          .columns([
            'hash',
            'family_id',
            'client_id',
            'user_id',
            'session_id',
            'scope',
            'audience',
            'auth_time',
            'amr',
            'acr',
            'issued_at',
            'expires_at',
            'family_expires_at',
            'used_at',
            'revoked_at',
            'dpop_jkt',
          ])
          .expression((eb) =>
            eb
              .selectFrom('won')
              .select([
                sql<string>`${next.hash}`.as('hash'),
                sql<string>`${next.familyId}`.as('family_id'),
                sql<string>`${next.clientId}`.as('client_id'),
                sql<string>`${next.userId}`.as('user_id'),
                sql<string | null>`cast(${next.sessionId} as text)`.as('session_id'),
                sql<string>`${toJson(next.scope)}`.as('scope'),
                sql<string>`${toJson(next.audience)}`.as('audience'),
                time(next.authTime).as('auth_time'),
                sql<string>`${toJson(next.amr)}`.as('amr'),
                sql<string | null>`cast(${next.acr} as text)`.as('acr'),
                time(next.issuedAt).as('issued_at'),
                time(next.expiresAt).as('expires_at'),
                time(next.familyExpiresAt).as('family_expires_at'),
                time(next.usedAt).as('used_at'),
                time(next.revokedAt).as('revoked_at'),
                sql<string | null>`cast(${next.jkt} as text)`.as('dpop_jkt'),
              ]),
          ),
      )
      .with('forgotten', (w) =>
        w
          .updateTable('refresh_tokens')
          .set({ successor_sealed: null, grace_until: null })
          .where('successor_sealed', 'is not', null)
          .where('successor_hash', '=', oldHash)
          .where('family_id', 'in', (eb) => eb.selectFrom('won').select('family_id')),
      )
      .selectFrom('won')
      .selectAll()
      .executeTakeFirst(),
  );
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

    async rotateRefreshToken(oldHash, next, now, grace) {
      // PostgreSQL: the winning rotation is ONE statement (one round trip, one commit).
      if (ctx.dialect === 'postgres') {
        const won = await rotateInOneStatement(ctx.db, oldHash, next, now, grace);
        if (won !== undefined) {
          return { status: 'rotated', previous: toRefreshToken(won) };
        }
      }
      return atomic(ctx, async (db): Promise<RotateResult> => {
        // The conditional UPDATE is the race arbiter: concurrent callers block on the winner's row
        // lock (PostgreSQL) or on BEGIN IMMEDIATE (SQLite), then find `used_at` set.
        const won = await markUsed(db, oldHash, next, now, grace).executeTakeFirst();
        if (won !== undefined) {
          await insert(db, next);
          // The token just used may be the successor its predecessor keeps sealed for a retry:
          // used, it can never be handed out again, so that sealed copy goes now.
          await forgetSealedSuccessors(db, { familyId: won.family_id, successorHash: oldHash });
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
          // RFC 9700 §4.14.2 reuse grace: the same token again moments after its rotation, while
          // the successor is still unused, is a client whose response was lost (or a concurrent
          // duplicate): it gets the same successor back, so no second branch of the family exists.
          const successor = await currentSuccessor(db, row, now);
          if (successor !== undefined && row.successor_sealed !== null) {
            return {
              status: 'retried',
              previous: toRefreshToken(row),
              successor: toRefreshToken(successor),
              sealedSuccessor: row.successor_sealed,
            };
          }
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
      // Sealed successors are kept for the reuse grace only.
      await forgetSealedSuccessors(ctx.db, { graceEndedBy: now });
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
