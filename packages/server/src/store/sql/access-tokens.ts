/** Opaque access tokens, looked up by the SHA-256 of the token. */
import type { AccessTokenRecord, AccessTokenStore } from '../ports.js';
import { batchLimit } from './batch-limit.js';
import { atomic, count, fromJson, type SqlContext, toJson, unique } from './context.js';
import type { AccessTokenRow } from './database.js';

function toAccessToken(row: AccessTokenRow): AccessTokenRecord {
  return {
    hash: row.hash,
    jti: row.jti,
    clientId: row.client_id,
    subject: row.subject,
    scope: fromJson(row.scope),
    audience: fromJson(row.audience),
    claims: fromJson(row.claims),
    grantId: row.grant_id,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

function toRow(token: AccessTokenRecord): AccessTokenRow {
  return {
    hash: token.hash,
    jti: token.jti,
    client_id: token.clientId,
    subject: token.subject,
    scope: toJson(token.scope),
    audience: toJson(token.audience),
    claims: toJson(token.claims),
    grant_id: token.grantId,
    issued_at: token.issuedAt,
    expires_at: token.expiresAt,
    revoked_at: token.revokedAt,
  };
}

export function accessTokenStore(ctx: SqlContext): AccessTokenStore {
  return {
    async insertAccessToken(token) {
      await unique('access token already exists', () =>
        ctx.db.insertInto('access_tokens').values(toRow(token)).execute(),
      );
    },

    async insertAccessTokens(tokens) {
      if (tokens.length === 0) {
        return;
      }
      // One multi-row INSERT: a single statement is atomic on both dialects, and one commit.
      await unique('access token already exists', () =>
        ctx.db.insertInto('access_tokens').values(tokens.map(toRow)).execute(),
      );
    },

    async findAccessToken(hash) {
      const row = await ctx.db
        .selectFrom('access_tokens')
        .selectAll()
        .where('hash', '=', hash)
        .executeTakeFirst();
      return row === undefined ? undefined : toAccessToken(row);
    },

    revokeAccessToken(hash, now) {
      return atomic(ctx, async (db) => {
        const row = await db
          .selectFrom('access_tokens')
          .selectAll()
          .where('hash', '=', hash)
          .executeTakeFirst();
        if (row === undefined) {
          return undefined;
        }
        await db
          .updateTable('access_tokens')
          .set({ revoked_at: now })
          .where('hash', '=', hash)
          .where('revoked_at', 'is', null)
          .execute();
        return toAccessToken(row);
      });
    },

    async revokeAccessTokensBy(filter, now) {
      if (filter.clientId === undefined && filter.subject === undefined && filter.grantId === undefined) {
        throw new TypeError('revokeAccessTokensBy needs at least one filter');
      }
      let query = ctx.db
        .updateTable('access_tokens')
        .set({ revoked_at: now })
        .where('revoked_at', 'is', null);
      if (filter.clientId !== undefined) {
        query = query.where('client_id', '=', filter.clientId);
      }
      if (filter.subject !== undefined) {
        query = query.where('subject', '=', filter.subject);
      }
      if (filter.grantId !== undefined) {
        query = query.where('grant_id', '=', filter.grantId);
      }
      const result = await query.executeTakeFirst();
      return count(result.numUpdatedRows);
    },

    async purgeExpiredAccessTokens(now, limit) {
      const result = await ctx.db
        .deleteFrom('access_tokens')
        .where('expires_at', '<=', now)
        .$if(limit !== undefined, (query) =>
          query.where('hash', 'in', (eb) =>
            eb
              .selectFrom('access_tokens')
              .select('hash')
              .where('expires_at', '<=', now)
              .limit(batchLimit(limit)),
          ),
        )
        .executeTakeFirst();
      return count(result.numDeletedRows);
    },
  };
}
