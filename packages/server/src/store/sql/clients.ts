/** Clients and their secrets (secrets live in `client_secrets`, one row per SHA-256). */
import type { Kysely, Updateable } from 'kysely';
import {
  type ClientRecord,
  type ClientSecretRecord,
  type ClientStore,
  NotFoundError,
  type TokenEndpointAuthMethod,
} from '../ports.js';
import {
  atomic,
  count,
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
import type { ClientRow, ClientSecretRow, ClientsTable, Database } from './database.js';

function toSecret(row: ClientSecretRow): ClientSecretRecord {
  return { hash: row.hash, start: row.start, createdAt: row.created_at, expiresAt: row.expires_at };
}

function toClient(row: ClientRow, secrets: ClientSecretRow[]): ClientRecord {
  return {
    id: row.id,
    name: row.name,
    grantTypes: fromJson(row.grant_types),
    scope: fromJson(row.scope),
    defaultScope: fromJson(row.default_scope),
    audiences: fromJson(row.audiences),
    redirectUris: fromJson(row.redirect_uris),
    postLogoutRedirectUris: fromJson(row.post_logout_redirect_uris),
    tokenEndpointAuthMethod: row.token_endpoint_auth_method as TokenEndpointAuthMethod,
    tokenFormat: row.token_format as ClientRecord['tokenFormat'],
    accessTokenTtl: row.access_token_ttl,
    metadata: fromJson(row.metadata),
    jwks: row.jwks === null ? null : fromJson(row.jwks),
    jwksUri: row.jwks_uri,
    idTokenSignedResponseAlg: row.id_token_signed_response_alg as ClientRecord['idTokenSignedResponseAlg'],
    subjectType: row.subject_type === 'pairwise' ? 'pairwise' : 'public',
    sectorIdentifierUri: row.sector_identifier_uri,
    firstParty: fromFlag(row.first_party),
    dpopBoundAccessTokens: fromFlag(row.dpop_bound_access_tokens),
    requireMfa: fromFlag(row.require_mfa),
    permissions: fromJson(row.permissions),
    disabled: fromFlag(row.disabled),
    secrets: secrets.map(toSecret),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.source === 'did' || row.source === 'metadata_document' ? { source: row.source } : {}),
    ...(row.registration_token_hash === null ? {} : { registrationTokenHash: row.registration_token_hash }),
  };
}

async function secretsOf(db: Kysely<Database>, clientIds: string[]): Promise<Map<string, ClientSecretRow[]>> {
  const byClient = new Map<string, ClientSecretRow[]>();
  if (clientIds.length === 0) {
    return byClient;
  }
  const rows = await db
    .selectFrom('client_secrets')
    .selectAll()
    .where('client_id', 'in', clientIds)
    .orderBy('created_at')
    .orderBy('hash')
    .execute();
  for (const row of rows) {
    const list = byClient.get(row.client_id) ?? [];
    list.push(row);
    byClient.set(row.client_id, list);
  }
  return byClient;
}

async function load(db: Kysely<Database>, id: string): Promise<ClientRecord | undefined> {
  const row = await db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) {
    return undefined;
  }
  const secrets = await secretsOf(db, [id]);
  return toClient(row, secrets.get(id) ?? []);
}

async function loadOrThrow(db: Kysely<Database>, id: string): Promise<ClientRecord> {
  const client = await load(db, id);
  if (client === undefined) {
    throw new NotFoundError(`client ${id} not found`);
  }
  return client;
}

function patchColumns(patch: Parameters<ClientStore['updateClient']>[1]): Updateable<ClientsTable> {
  const set: Updateable<ClientsTable> = {};
  if (patch.name !== undefined) {
    set.name = patch.name;
  }
  if (patch.grantTypes !== undefined) {
    set.grant_types = toJson(patch.grantTypes);
  }
  if (patch.scope !== undefined) {
    set.scope = toJson(patch.scope);
  }
  if (patch.defaultScope !== undefined) {
    set.default_scope = toJson(patch.defaultScope);
  }
  if (patch.audiences !== undefined) {
    set.audiences = toJson(patch.audiences);
  }
  if (patch.redirectUris !== undefined) {
    set.redirect_uris = toJson(patch.redirectUris);
  }
  if (patch.postLogoutRedirectUris !== undefined) {
    set.post_logout_redirect_uris = toJson(patch.postLogoutRedirectUris);
  }
  if (patch.tokenEndpointAuthMethod !== undefined) {
    set.token_endpoint_auth_method = patch.tokenEndpointAuthMethod;
  }
  if (patch.tokenFormat !== undefined) {
    set.token_format = patch.tokenFormat;
  }
  if (patch.accessTokenTtl !== undefined) {
    set.access_token_ttl = patch.accessTokenTtl;
  }
  if (patch.metadata !== undefined) {
    set.metadata = toJson(patch.metadata);
  }
  if (patch.jwks !== undefined) {
    set.jwks = patch.jwks === null ? null : toJson(patch.jwks);
  }
  if (patch.jwksUri !== undefined) {
    set.jwks_uri = patch.jwksUri;
  }
  if (patch.idTokenSignedResponseAlg !== undefined) {
    set.id_token_signed_response_alg = patch.idTokenSignedResponseAlg;
  }
  if (patch.subjectType !== undefined) {
    set.subject_type = patch.subjectType;
  }
  if (patch.sectorIdentifierUri !== undefined) {
    set.sector_identifier_uri = patch.sectorIdentifierUri;
  }
  if (patch.firstParty !== undefined) {
    set.first_party = toFlag(patch.firstParty);
  }
  if (patch.dpopBoundAccessTokens !== undefined) {
    set.dpop_bound_access_tokens = toFlag(patch.dpopBoundAccessTokens);
  }
  if (patch.requireMfa !== undefined) {
    set.require_mfa = toFlag(patch.requireMfa);
  }
  if (patch.permissions !== undefined) {
    set.permissions = toJson(patch.permissions);
  }
  if (patch.disabled !== undefined) {
    set.disabled = toFlag(patch.disabled);
  }
  if (patch.registrationTokenHash !== undefined) {
    set.registration_token_hash = patch.registrationTokenHash;
  }
  return set;
}

export function clientStore(ctx: SqlContext): ClientStore {
  return {
    createClient(client, now) {
      return unique(`client ${client.id} already exists`, () =>
        atomic(ctx, async (db) => {
          await db
            .insertInto('clients')
            .values({
              id: client.id,
              name: client.name,
              grant_types: toJson(client.grantTypes),
              scope: toJson(client.scope),
              default_scope: toJson(client.defaultScope),
              audiences: toJson(client.audiences),
              redirect_uris: toJson(client.redirectUris),
              post_logout_redirect_uris: toJson(client.postLogoutRedirectUris),
              token_endpoint_auth_method: client.tokenEndpointAuthMethod,
              token_format: client.tokenFormat,
              access_token_ttl: client.accessTokenTtl,
              metadata: toJson(client.metadata),
              jwks: client.jwks === null ? null : toJson(client.jwks),
              jwks_uri: client.jwksUri,
              id_token_signed_response_alg: client.idTokenSignedResponseAlg,
              subject_type: client.subjectType ?? 'public',
              sector_identifier_uri: client.sectorIdentifierUri ?? null,
              first_party: toFlag(client.firstParty),
              dpop_bound_access_tokens: toFlag(client.dpopBoundAccessTokens ?? false),
              require_mfa: toFlag(client.requireMfa),
              permissions: toJson(client.permissions),
              disabled: toFlag(client.disabled),
              created_at: now,
              updated_at: now,
              source: client.source ?? null,
              registration_token_hash: client.registrationTokenHash ?? null,
            })
            .execute();
          for (const secret of client.secrets) {
            await db
              .insertInto('client_secrets')
              .values({
                hash: secret.hash,
                client_id: client.id,
                start: secret.start,
                created_at: secret.createdAt,
                expires_at: secret.expiresAt,
              })
              .execute();
          }
          return loadOrThrow(db, client.id);
        }),
      );
    },

    findClient(id) {
      return load(ctx.db, id);
    },

    async listClients(options = {}) {
      const limit = pageLimit(options.limit);
      const after = decodeKeyCursor(options.cursor);
      let query = ctx.db.selectFrom('clients').selectAll();
      if (after !== undefined) {
        query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '>', eb.tuple(after.at, after.id)));
      }
      const rows = await query
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit + 1)
        .execute();
      const secrets = await secretsOf(
        ctx.db,
        rows.slice(0, limit).map((row) => row.id),
      );
      return toPage(
        rows,
        limit,
        (row) => toClient(row, secrets.get(row.id) ?? []),
        (row) => encodeKeyCursor(row.created_at, row.id),
      );
    },

    async countClients() {
      const row = await ctx.db
        .selectFrom('clients')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    updateClient(id, patch, now) {
      return atomic(ctx, async (db) => {
        const result = await db
          .updateTable('clients')
          .set({ ...patchColumns(patch), updated_at: now })
          .where('id', '=', id)
          .executeTakeFirst();
        if (count(result.numUpdatedRows) === 0) {
          throw new NotFoundError(`client ${id} not found`);
        }
        return loadOrThrow(db, id);
      });
    },

    async deleteClient(id) {
      // Secrets, codes, refresh tokens, opaque access tokens and consents go with it (ON DELETE CASCADE).
      const result = await ctx.db.deleteFrom('clients').where('id', '=', id).executeTakeFirst();
      if (count(result.numDeletedRows) === 0) {
        throw new NotFoundError(`client ${id} not found`);
      }
    },

    rotateClientSecret(id, secret, oldSecretsExpireAt, now) {
      return unique(`client secret already exists`, () =>
        atomic(ctx, async (db) => {
          const touched = await db
            .updateTable('clients')
            .set({ updated_at: now })
            .where('id', '=', id)
            .executeTakeFirst();
          if (count(touched.numUpdatedRows) === 0) {
            throw new NotFoundError(`client ${id} not found`);
          }
          await db
            .deleteFrom('client_secrets')
            .where('client_id', '=', id)
            .where('expires_at', 'is not', null)
            .where('expires_at', '<=', now)
            .execute();
          await db
            .updateTable('client_secrets')
            .set({ expires_at: oldSecretsExpireAt })
            .where('client_id', '=', id)
            .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', oldSecretsExpireAt)]))
            .execute();
          await db
            .insertInto('client_secrets')
            .values({
              hash: secret.hash,
              client_id: id,
              start: secret.start,
              created_at: secret.createdAt,
              expires_at: secret.expiresAt,
            })
            .execute();
          return loadOrThrow(db, id);
        }),
      );
    },
  };
}
