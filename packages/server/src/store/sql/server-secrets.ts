/** Server-wide secrets, sealed with the master key (0020). */
import type { ServerSecretRecord, ServerSecretStore } from '../ports.js';
import { count, type SqlContext } from './context.js';

const toRecord = (row: { name: string; sealed: string; master_key_id: string }): ServerSecretRecord => ({
  name: row.name,
  sealed: row.sealed,
  masterKeyId: row.master_key_id,
});

export function serverSecretStore(ctx: SqlContext): ServerSecretStore {
  return {
    async insertServerSecretIfAbsent(secret) {
      const result = await ctx.db
        .insertInto('server_secrets')
        .values({ name: secret.name, sealed: secret.sealed, master_key_id: secret.masterKeyId })
        .onConflict((conflict) => conflict.column('name').doNothing())
        .executeTakeFirst();
      return count(result.numInsertedOrUpdatedRows) > 0;
    },

    async findServerSecret(name) {
      const row = await ctx.db
        .selectFrom('server_secrets')
        .selectAll()
        .where('name', '=', name)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },

    async listServerSecrets() {
      const rows = await ctx.db.selectFrom('server_secrets').selectAll().orderBy('name').execute();
      return rows.map(toRecord);
    },

    async resealServerSecret(secret) {
      await ctx.db
        .updateTable('server_secrets')
        .set({ sealed: secret.sealed, master_key_id: secret.masterKeyId })
        .where('name', '=', secret.name)
        .execute();
    },
  };
}
