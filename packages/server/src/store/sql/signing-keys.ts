/** Signing keys: public JWK and sealed private JWK, with activation, retirement and expiry. */
import type { SigningAlgorithm, SigningKeyRecord, SigningKeyStore } from '../ports.js';
import { count, fromJson, type SqlContext, toJson, unique } from './context.js';
import type { SigningKeyRow } from './database.js';

function toSigningKey(row: SigningKeyRow): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg as SigningAlgorithm,
    publicJwk: fromJson(row.public_jwk),
    sealedPrivateKey: row.sealed_private_key,
    masterKeyId: row.master_key_id,
    createdAt: row.created_at,
    activatesAt: row.activates_at,
    retiredAt: row.retired_at,
    expiresAt: row.expires_at,
  };
}

export function signingKeyStore(ctx: SqlContext): SigningKeyStore {
  return {
    async insertSigningKey(key) {
      await unique(`signing key ${key.kid} already exists`, () =>
        ctx.db
          .insertInto('signing_keys')
          .values({
            kid: key.kid,
            alg: key.alg,
            public_jwk: toJson(key.publicJwk),
            sealed_private_key: key.sealedPrivateKey,
            master_key_id: key.masterKeyId,
            created_at: key.createdAt,
            activates_at: key.activatesAt,
            retired_at: key.retiredAt,
            expires_at: key.expiresAt,
          })
          .execute(),
      );
    },

    async listSigningKeys() {
      const rows = await ctx.db
        .selectFrom('signing_keys')
        .selectAll()
        .orderBy('created_at')
        .orderBy('kid')
        .execute();
      return rows.map(toSigningKey);
    },

    async retireSigningKeys(kids, retiredAt, expiresAt) {
      if (kids.length === 0) {
        return;
      }
      await ctx.db
        .updateTable('signing_keys')
        .set({ retired_at: retiredAt, expires_at: expiresAt })
        .where('kid', 'in', kids)
        .execute();
    },

    async deleteExpiredSigningKeys(now) {
      const result = await ctx.db
        .deleteFrom('signing_keys')
        .where('expires_at', 'is not', null)
        .where('expires_at', '<=', now)
        .executeTakeFirst();
      return count(result.numDeletedRows);
    },

    async resealSigningKey(kid, sealedPrivateKey, masterKeyId) {
      const result = await ctx.db
        .updateTable('signing_keys')
        .set({ sealed_private_key: sealedPrivateKey, master_key_id: masterKeyId })
        .where('kid', '=', kid)
        .executeTakeFirst();
      return count(result.numUpdatedRows) > 0;
    },

    async deleteSigningKey(kid) {
      const result = await ctx.db.deleteFrom('signing_keys').where('kid', '=', kid).executeTakeFirst();
      return count(result.numDeletedRows) > 0;
    },
  };
}
