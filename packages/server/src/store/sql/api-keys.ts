/** API keys, looked up by the SHA-256 of the key; usage is written in batches, off the hot path. */
import { type Kysely, sql, type Updateable } from 'kysely';
import {
  API_KEY_ANOMALIES_KEPT,
  type ApiKeyAnomalyPolicy,
  type ApiKeyAnomalyRecord,
  type ApiKeyPatch,
  type ApiKeyRecord,
  type ApiKeyStore,
  type ApiKeyUsage,
  NotFoundError,
} from '../ports.js';
import {
  atomic,
  decodeKeyCursor,
  encodeKeyCursor,
  fromFlag,
  fromJson,
  pageLimit,
  type SqlContext,
  toFlag,
  toJson,
  toPage,
  unique,
} from './context.js';
import type { ApiKeyRow, ApiKeysTable, Database } from './database.js';

function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    hash: row.hash,
    start: row.start,
    name: row.name,
    owner: row.owner,
    scope: fromJson(row.scope),
    audiences: fromJson(row.audiences),
    meta: fromJson(row.meta),
    rateLimit: row.rate_limit === null ? null : fromJson(row.rate_limit),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    disabled: fromFlag(row.disabled),
    revokedAt: row.revoked_at,
    replacedBy: row.replaced_by,
    lastUsedAt: row.last_used_at,
    usageCount: row.usage_count,
    dpopJkt: row.dpop_jkt,
    anomalyPolicy: row.anomaly_policy as ApiKeyAnomalyPolicy,
    usageProfile: row.usage_profile,
    anomalies: fromJson(row.anomalies),
    lastAnomalyAt: row.last_anomaly_at,
    anomaliesAcknowledgedAt: row.anomalies_acknowledged_at,
  };
}

function patchColumns(patch: ApiKeyPatch): Updateable<ApiKeysTable> {
  const set: Updateable<ApiKeysTable> = {};
  if (patch.name !== undefined) {
    set.name = patch.name;
  }
  if (patch.scope !== undefined) {
    set.scope = toJson(patch.scope);
  }
  if (patch.audiences !== undefined) {
    set.audiences = toJson(patch.audiences);
  }
  if (patch.meta !== undefined) {
    set.meta = toJson(patch.meta);
  }
  if (patch.rateLimit !== undefined) {
    set.rate_limit = patch.rateLimit === null ? null : toJson(patch.rateLimit);
  }
  if (patch.expiresAt !== undefined) {
    set.expires_at = patch.expiresAt;
  }
  if (patch.disabled !== undefined) {
    set.disabled = toFlag(patch.disabled);
  }
  if (patch.anomalyPolicy !== undefined) {
    set.anomaly_policy = patch.anomalyPolicy;
  }
  if (patch.anomaliesAcknowledgedAt !== undefined) {
    set.anomalies_acknowledged_at = patch.anomaliesAcknowledgedAt;
  }
  return set;
}

async function insert(db: Kysely<Database>, key: ApiKeyRecord): Promise<void> {
  await unique(`api key ${key.id} already exists`, () =>
    db
      .insertInto('api_keys')
      .values({
        id: key.id,
        hash: key.hash,
        start: key.start,
        name: key.name,
        owner: key.owner,
        scope: toJson(key.scope),
        audiences: toJson(key.audiences),
        meta: toJson(key.meta),
        rate_limit: key.rateLimit === null ? null : toJson(key.rateLimit),
        created_at: key.createdAt,
        updated_at: key.updatedAt,
        expires_at: key.expiresAt,
        disabled: toFlag(key.disabled),
        revoked_at: key.revokedAt,
        replaced_by: key.replacedBy,
        last_used_at: key.lastUsedAt,
        usage_count: key.usageCount,
        dpop_jkt: key.dpopJkt,
        anomaly_policy: key.anomalyPolicy,
        usage_profile: key.usageProfile,
        anomalies: toJson(key.anomalies),
        last_anomaly_at: key.lastAnomalyAt,
        anomalies_acknowledged_at: key.anomaliesAcknowledgedAt,
      })
      .execute(),
  );
}

/** Appends to the key's bounded list (the newest kept) and moves `last_anomaly_at` forward. */
async function appendAnomalies(db: Kysely<Database>, usage: ApiKeyUsage): Promise<void> {
  const added = usage.anomalies ?? [];
  if (added.length === 0) {
    return;
  }
  const row = await db
    .selectFrom('api_keys')
    .select('anomalies')
    .where('id', '=', usage.id)
    .executeTakeFirst();
  if (row === undefined) {
    return;
  }
  const kept = [...fromJson<ApiKeyAnomalyRecord[]>(row.anomalies), ...added].slice(-API_KEY_ANOMALIES_KEPT);
  const last = Math.max(...added.map((anomaly) => anomaly.at));
  await db
    .updateTable('api_keys')
    .set({
      anomalies: toJson(kept),
      last_anomaly_at: sql<number>`case when last_anomaly_at is null or last_anomaly_at < ${last} then ${last} else last_anomaly_at end`,
    })
    .where('id', '=', usage.id)
    .execute();
}

/** Used keys per usage statement (4 parameters each, far below either database's limit). */
const TOUCH_CHUNK = 250;

/**
 * Adds the uses of each key (distinct ids) to its row: the count, the latest use (never moved
 * back) and, when given, the usage profile. One `UPDATE … FROM` a list of values, on both dialects.
 */
async function touchChunk(db: Kysely<Database>, chunk: readonly ApiKeyUsage[]): Promise<void> {
  if (chunk.length === 0) {
    return;
  }
  const rows = sql.join(
    chunk.map(
      (usage) =>
        sql`(${usage.id}, cast(${usage.lastUsedAt} as bigint), cast(${usage.count} as bigint), cast(${usage.profile ?? null} as text))`,
    ),
  );
  await sql`with used (id, at, uses, profile) as (values ${rows})
    update api_keys set
      last_used_at = case when api_keys.last_used_at is null or api_keys.last_used_at < used.at then used.at else api_keys.last_used_at end,
      usage_count = api_keys.usage_count + used.uses,
      usage_profile = coalesce(used.profile, api_keys.usage_profile)
    from used
    where api_keys.id = used.id`.execute(db);
}

function notFound(id: string): never {
  throw new NotFoundError(`api key ${id} not found`);
}

export function apiKeyStore(ctx: SqlContext): ApiKeyStore {
  return {
    insertApiKey(key) {
      return insert(ctx.db, key);
    },

    async findApiKeyByHash(hash) {
      const row = await ctx.db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
      return row === undefined ? undefined : toApiKey(row);
    },

    async findApiKey(id) {
      const row = await ctx.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toApiKey(row);
    },

    async listApiKeys(filter) {
      const limit = pageLimit(filter.limit);
      const after = decodeKeyCursor(filter.cursor);
      let query = ctx.db.selectFrom('api_keys').selectAll();
      if (filter.owner !== undefined) {
        query = query.where('owner', '=', filter.owner);
      }
      if (filter.anomalous === true) {
        query = query
          .where('last_anomaly_at', 'is not', null)
          .where((eb) =>
            eb.or([
              eb('anomalies_acknowledged_at', 'is', null),
              eb('anomalies_acknowledged_at', '<', eb.ref('last_anomaly_at')),
            ]),
          );
      }
      if (after !== undefined) {
        query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '>', eb.tuple(after.at, after.id)));
      }
      const rows = await query
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, toApiKey, (row) => encodeKeyCursor(row.created_at, row.id));
    },

    async countApiKeys() {
      const row = await ctx.db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async updateApiKey(id, patch, now) {
      const row = await ctx.db
        .updateTable('api_keys')
        .set({ ...patchColumns(patch), updated_at: now })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row === undefined ? notFound(id) : toApiKey(row);
    },

    async revokeApiKey(id, now) {
      const row = await ctx.db
        .updateTable('api_keys')
        .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(now)), updated_at: now }))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row === undefined ? notFound(id) : toApiKey(row);
    },

    rotateApiKey(id, next, oldExpiresAt) {
      return atomic(ctx, async (db) => {
        // An old key that already expires sooner keeps its earlier expiry.
        const row = await db
          .updateTable('api_keys')
          .set({
            expires_at: sql<number>`case when expires_at is not null and expires_at < ${oldExpiresAt} then expires_at else ${oldExpiresAt} end`,
            replaced_by: next.id,
            updated_at: next.createdAt,
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
        if (row === undefined) {
          return notFound(id);
        }
        await insert(db, next);
        return toApiKey(row);
      });
    },

    async touchApiKeys(batch) {
      if (batch.length === 0) {
        return;
      }
      const used = batch.filter((usage) => usage.count > 0);
      await atomic(ctx, async (db) => {
        // One statement per chunk of used keys (usage, and the profile learned from it), not one per
        // key: the batch of a busy node holds every key used in the interval.
        for (let start = 0; start < used.length; start += TOUCH_CHUNK) {
          await touchChunk(db, used.slice(start, start + TOUCH_CHUNK));
        }
        for (const usage of batch) {
          await appendAnomalies(db, usage);
        }
      });
    },
  };
}
