/** Passkeys: WebAuthn credentials of people, found by credential id at sign-in. */
import type { PasskeyRecord, PasskeyStore } from '../ports.js';
import { count, fromFlag, fromJson, type SqlContext, toFlag, toJson, unique } from './context.js';
import type { PasskeyRow } from './database.js';

function toPasskey(row: PasskeyRow): PasskeyRecord {
  return {
    id: row.id,
    userId: row.user_id,
    credentialId: row.credential_id,
    publicKey: row.public_key,
    counter: Number(row.counter),
    transports: fromJson(row.transports),
    backupEligible: fromFlag(row.backup_eligible),
    backedUp: fromFlag(row.backed_up),
    aaguid: row.aaguid,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export function passkeyStore(ctx: SqlContext): PasskeyStore {
  return {
    async insertPasskey(passkey) {
      await unique('this passkey is already registered', () =>
        ctx.db
          .insertInto('passkeys')
          .values({
            id: passkey.id,
            user_id: passkey.userId,
            credential_id: passkey.credentialId,
            public_key: passkey.publicKey,
            counter: passkey.counter,
            transports: toJson(passkey.transports),
            backup_eligible: toFlag(passkey.backupEligible),
            backed_up: toFlag(passkey.backedUp),
            aaguid: passkey.aaguid,
            name: passkey.name,
            created_at: passkey.createdAt,
            last_used_at: passkey.lastUsedAt,
          })
          .execute(),
      );
    },

    async listPasskeys(userId) {
      const rows = await ctx.db
        .selectFrom('passkeys')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toPasskey);
    },

    async findPasskeyByCredentialId(credentialId) {
      const row = await ctx.db
        .selectFrom('passkeys')
        .selectAll()
        .where('credential_id', '=', credentialId)
        .executeTakeFirst();
      return row === undefined ? undefined : toPasskey(row);
    },

    async recordPasskeyUse(id, use) {
      const result = await ctx.db
        .updateTable('passkeys')
        .set({ counter: use.counter, backed_up: toFlag(use.backedUp), last_used_at: use.at })
        .where('id', '=', id)
        .where('counter', '=', use.expectedCounter)
        .executeTakeFirst();
      return count(result.numUpdatedRows) === 1;
    },

    async deletePasskey(userId, id) {
      const result = await ctx.db
        .deleteFrom('passkeys')
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return count(result.numDeletedRows) === 1;
    },
  };
}
