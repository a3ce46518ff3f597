/** Second factors: TOTP authenticators (sealed secret, last used step) and recovery codes (SHA-256). */
import type { MfaStore, TotpRecord } from '../ports.js';
import { atomic, count, type SqlContext } from './context.js';

export function mfaStore(ctx: SqlContext): MfaStore {
  return {
    async findTotp(userId) {
      const row = await ctx.db
        .selectFrom('user_totp')
        .selectAll()
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (row === undefined) {
        return undefined;
      }
      const record: TotpRecord = {
        userId: row.user_id,
        sealedSecret: row.sealed_secret,
        confirmedAt: row.confirmed_at,
        lastUsedStep: row.last_used_step,
        createdAt: row.created_at,
      };
      return record;
    },

    beginTotpEnrolment(userId, sealedSecret, now) {
      return atomic(ctx, async (db) => {
        const existing = await db
          .selectFrom('user_totp')
          .select('confirmed_at')
          .where('user_id', '=', userId)
          .executeTakeFirst();
        if (existing !== undefined && existing.confirmed_at !== null) {
          return false;
        }
        await db.deleteFrom('user_totp').where('user_id', '=', userId).execute();
        await db
          .insertInto('user_totp')
          .values({
            user_id: userId,
            sealed_secret: sealedSecret,
            confirmed_at: null,
            last_used_step: null,
            created_at: now,
          })
          .execute();
        return true;
      });
    },

    async useTotpStep(userId, step, options) {
      // One conditional UPDATE: of two requests with the same code, exactly one matches the row.
      let query = ctx.db
        .updateTable('user_totp')
        .where('user_id', '=', userId)
        .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]));
      if (options.confirmAt === undefined) {
        query = query.where('confirmed_at', 'is not', null);
      } else {
        query = query.where('confirmed_at', 'is', null);
      }
      const result = await query
        .set({
          last_used_step: step,
          ...(options.confirmAt === undefined ? {} : { confirmed_at: options.confirmAt }),
        })
        .executeTakeFirst();
      return count(result.numUpdatedRows) === 1;
    },

    deleteTotp(userId) {
      return atomic(ctx, async (db) => {
        await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
        const result = await db.deleteFrom('user_totp').where('user_id', '=', userId).executeTakeFirst();
        return count(result.numDeletedRows) > 0;
      });
    },

    async replaceRecoveryCodes(userId, hashes, now) {
      await atomic(ctx, async (db) => {
        await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
        if (hashes.length > 0) {
          await db
            .insertInto('recovery_codes')
            .values(hashes.map((hash) => ({ user_id: userId, hash, created_at: now, used_at: null })))
            .execute();
        }
      });
    },

    async useRecoveryCode(userId, hash, now) {
      const result = await ctx.db
        .updateTable('recovery_codes')
        .set({ used_at: now })
        .where('user_id', '=', userId)
        .where('hash', '=', hash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return count(result.numUpdatedRows) === 1;
    },

    async listTotpSecrets() {
      const rows = await ctx.db
        .selectFrom('user_totp')
        .select(['user_id', 'sealed_secret'])
        .orderBy('user_id')
        .execute();
      return rows.map((row) => ({ userId: row.user_id, sealedSecret: row.sealed_secret }));
    },

    async resealTotpSecret(userId, sealedSecret) {
      await ctx.db
        .updateTable('user_totp')
        .set({ sealed_secret: sealedSecret })
        .where('user_id', '=', userId)
        .execute();
    },

    async countRecoveryCodes(userId) {
      const row = await ctx.db
        .selectFrom('recovery_codes')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
  };
}
