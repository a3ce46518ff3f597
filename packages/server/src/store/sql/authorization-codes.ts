/** Authorization codes (RFC 6749 §4.1.2): stored by SHA-256, consumed exactly once. */
import type { AuthorizationCodeRecord, AuthorizationCodeStore } from '../ports.js';
import { batchLimit } from './batch-limit.js';
import { atomic, count, fromJson, type SqlContext, toJson, unique } from './context.js';
import type { AuthorizationCodeRow } from './database.js';

function toCode(row: AuthorizationCodeRow): AuthorizationCodeRecord {
  return {
    hash: row.hash,
    clientId: row.client_id,
    userId: row.user_id,
    sessionId: row.session_id,
    redirectUri: row.redirect_uri,
    scope: fromJson(row.scope),
    audience: fromJson(row.audience),
    codeChallenge: row.code_challenge,
    codeChallengeMethod: row.code_challenge_method === 'S256' ? 'S256' : null,
    nonce: row.nonce,
    authTime: row.auth_time,
    amr: fromJson(row.amr),
    acr: row.acr,
    grantId: row.grant_id,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
    ...(row.dpop_jkt === null ? {} : { dpopJkt: row.dpop_jkt }),
  };
}

export function authorizationCodeStore(ctx: SqlContext): AuthorizationCodeStore {
  return {
    async insertAuthorizationCode(code) {
      await unique('authorization code already exists', () =>
        ctx.db
          .insertInto('authorization_codes')
          .values({
            hash: code.hash,
            client_id: code.clientId,
            user_id: code.userId,
            session_id: code.sessionId,
            redirect_uri: code.redirectUri,
            scope: toJson(code.scope),
            audience: toJson(code.audience),
            code_challenge: code.codeChallenge,
            code_challenge_method: code.codeChallengeMethod,
            nonce: code.nonce,
            auth_time: code.authTime,
            amr: toJson(code.amr),
            acr: code.acr,
            grant_id: code.grantId,
            issued_at: code.issuedAt,
            expires_at: code.expiresAt,
            consumed_at: code.consumedAt,
            dpop_jkt: code.dpopJkt ?? null,
          })
          .execute(),
      );
    },

    consumeAuthorizationCode(hash, clientId, now) {
      return atomic(ctx, async (db) => {
        // RFC 6749 §4.1.2 / RFC 9700 §4.5: one conditional UPDATE, so exactly one caller wins even
        // under READ COMMITTED (the losers re-check `consumed_at` after the winner's row lock). It
        // names the client (RFC 6749 §4.1.3), so another client's attempt changes nothing.
        const won = await db
          .updateTable('authorization_codes')
          .set({ consumed_at: now })
          .where('hash', '=', hash)
          .where('client_id', '=', clientId)
          .where('consumed_at', 'is', null)
          .returningAll()
          .executeTakeFirst();
        if (won !== undefined) {
          return { status: 'consumed', record: toCode(won) } as const;
        }
        const row = await db
          .selectFrom('authorization_codes')
          .selectAll()
          .where('hash', '=', hash)
          .executeTakeFirst();
        if (row === undefined) {
          return { status: 'not_found' } as const;
        }
        if (row.client_id !== clientId) {
          return { status: 'wrong_client' } as const;
        }
        return { status: 'replayed', record: toCode(row) } as const;
      });
    },

    async purgeExpiredAuthorizationCodes(now, limit) {
      const result = await ctx.db
        .deleteFrom('authorization_codes')
        .where('expires_at', '<=', now)
        .$if(limit !== undefined, (query) =>
          query.where('hash', 'in', (eb) =>
            eb
              .selectFrom('authorization_codes')
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
