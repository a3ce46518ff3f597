/**
 * Client management: create, read, update, delete and secret rotation. Every change is validated
 * whole before anything is written, published on the bus (`client.updated` / `client.deleted`, so
 * the token endpoint's in-memory registry drops the client at once, on every node) and recorded in
 * the audit trail. A minted secret is returned once and stored only as its SHA-256 (DESIGN §3).
 */
import { type CredentialChange, OAuthError, parseSecret, type RevocationTarget } from '@tessera/protocol';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import type { EventBus } from '../../events/bus.js';
import { hashSecret, mintSecret, newId } from '../../ids.js';
import {
  type ClientRecord,
  type ClientSecretRecord,
  type ClientStore,
  NotFoundError,
  type Page,
  type PageOptions,
  type SigningAlgorithm,
} from '../../store/ports.js';
import { isExternalClientId, isStoredClientId } from './client-id.js';
import {
  applyClientPatch,
  type ClientMetadata,
  type ClientMetadataSchemas,
  type ClientRules,
  createClientMetadataSchemas,
  metadataOf,
  parseClientPatch,
  parseNewClientMetadata,
  wireNameOf,
} from './client-metadata.js';
import { MAX_ROTATION_GRACE } from './rotation-grace.js';
import type { SectorIdentifierCheck } from './sector-identifier.js';

/** Methods that authenticate with a client secret; only these clients get one minted. */
const SECRET_METHODS: ReadonlySet<string> = new Set(['client_secret_basic', 'client_secret_post']);

/** Largest page a list returns. */
export const MAX_CLIENT_PAGE = 100;

export interface ClientServiceDeps {
  /** `transaction` makes read-validate-write of an update atomic (two PATCHes cannot mix). */
  store: ClientStore & { transaction<T>(fn: (tx: ClientStore) => Promise<T>): Promise<T> };
  bus: EventBus;
  clock: Clock;
  audit: Pick<AuditLog, 'record'>;
  config: {
    dev: boolean;
    tokens: { maxAccessTokenTtl: number };
    clients: { secretRotationGrace: number; allowPrivateJwksUri: boolean };
  };
  /** What `id_token_signed_response_alg` may name (see `idTokenAlgorithms`); any when absent. */
  idTokenAlgorithms?: readonly SigningAlgorithm[];
  /**
   * When given, deleting or disabling a client also revokes every token issued to it (pushed to
   * verifiers through the revocation stream, DESIGN §5), not only future authentications.
   */
  revocations?: { revoke(target: RevocationTarget, expiresAt: number): Promise<unknown> };
  /** Tells verifiers a client secret was rotated (OpenID CAEP `credential-change`, `update`). */
  credentialChanges?: { changed(change: CredentialChange, actor: string): Promise<void> };
  /**
   * OIDC Registration §5: checks that a `sector_identifier_uri` lists every redirect URI (a bounded
   * outbound fetch, run before any transaction). Absent: a `sector_identifier_uri` is refused.
   */
  checkSectorIdentifier?: SectorIdentifierCheck;
}

/** Who asked, for the audit trail. */
export interface ActionContext {
  /** `admin` unless told otherwise. */
  actor?: string;
  requestId?: string | null;
}

export interface CreatedClient {
  client: ClientRecord;
  /** The new secret (`tsr_cs_…`), for confidential clients that authenticate with one; shown once. */
  secret: string | undefined;
}

export interface RotatedSecret {
  client: ClientRecord;
  secret: string;
  /** When the previous secrets stop working (seconds). */
  previousExpireAt: number;
}

export interface ClientService {
  /** The wire schemas (for the OpenAPI document). */
  readonly schemas: ClientMetadataSchemas;
  /** Validates the wire metadata (RFC 7591 names) and creates the client; mints its secret. */
  create(
    input: unknown,
    context?: ActionContext,
    extra?: Pick<ClientRecord, 'registrationTokenHash'>,
  ): Promise<CreatedClient>;
  /** A page of clients, oldest first. `invalid_request` for a bad cursor or limit. */
  list(options?: PageOptions): Promise<Page<ClientRecord>>;
  /** The client, or `not_found` (also for a string that is not a client id). */
  get(id: string): Promise<ClientRecord>;
  /** PATCH semantics: fields present replace stored ones; the result is held to every rule. */
  update(id: string, input: unknown, context?: ActionContext): Promise<ClientRecord>;
  delete(id: string, context?: ActionContext): Promise<void>;
  /**
   * Blocks an external client id (a DID, a metadata document URL): its stored record is disabled,
   * or a disabled record is stored under it, and every token it holds is revoked. Unblock a
   * stored block with `delete` (back to the unregistered-client policy).
   */
  block(id: string, context?: ActionContext): Promise<ClientRecord>;
  /**
   * Mints a new secret; earlier ones keep working for `graceSeconds` (default
   * `clients.secretRotationGrace`; 0 ends them now).
   */
  rotateSecret(id: string, graceSeconds?: number, context?: ActionContext): Promise<RotatedSecret>;
}

function notFound(id: string): OAuthError {
  return OAuthError.notFound('No client with this client_id', { cause: `client ${id.slice(0, 64)}` });
}

function mintClientSecret(now: number): { secret: string; record: ClientSecretRecord } {
  const secret = mintSecret('cs');
  const start = parseSecret(secret, 'cs')?.start ?? '';
  return { secret, record: { hash: hashSecret(secret), start, createdAt: now, expiresAt: null } };
}

export function createClientService(deps: ClientServiceDeps): ClientService {
  const rules: ClientRules = {
    maxAccessTokenTtl: deps.config.tokens.maxAccessTokenTtl,
    dev: deps.config.dev,
    allowPrivateJwksUri: deps.config.clients.allowPrivateJwksUri,
    ...(deps.idTokenAlgorithms === undefined ? {} : { idTokenAlgorithms: deps.idTokenAlgorithms }),
  };
  const schemas = createClientMetadataSchemas(rules);

  function audit(
    type: string,
    context: ActionContext | undefined,
    subject: string,
    data: Record<string, unknown>,
  ): void {
    deps.audit.record({
      type,
      actor: context?.actor ?? 'admin',
      subject,
      data,
      requestId: context?.requestId ?? null,
    });
  }

  /** Revokes every token of the client until the longest access token it could hold has expired. */
  async function revokeTokensOf(clientId: string): Promise<void> {
    await deps.revocations?.revoke(
      { type: 'client', value: clientId },
      deps.clock.now() + deps.config.tokens.maxAccessTokenTtl,
    );
  }

  /** The sector document must list the redirect URIs; `undefined` when there is nothing to check. */
  async function checkSector(
    sector: { sectorIdentifierUri: string | null; redirectUris: readonly string[] } | undefined,
  ): Promise<void> {
    if (sector === undefined || sector.sectorIdentifierUri === null) {
      return;
    }
    if (deps.checkSectorIdentifier === undefined) {
      throw OAuthError.invalidClientMetadata('sector_identifier_uri is not supported by this server');
    }
    await deps.checkSectorIdentifier(sector.sectorIdentifierUri, sector.redirectUris);
  }

  async function get(id: string): Promise<ClientRecord> {
    const client = isStoredClientId(id) ? await deps.store.findClient(id) : undefined;
    if (client === undefined) {
      throw notFound(id);
    }
    return client;
  }

  return {
    schemas,

    async create(input, context, extra) {
      const metadata = parseNewClientMetadata(input, schemas);
      await checkSector(metadata);
      const chosen = (input as { client_id?: unknown }).client_id;
      if (chosen !== undefined && !isExternalClientId(chosen)) {
        throw OAuthError.invalidClientMetadata(
          'client_id may only be given for a DID (did:...) or an HTTPS metadata document URL',
        );
      }
      const id = chosen ?? newId('cli');
      const existing = chosen === undefined ? undefined : await deps.store.findClient(id);
      if (existing !== undefined && existing.source === undefined) {
        throw OAuthError.invalidClientMetadata('A client with this client_id is already registered');
      }
      if (existing !== undefined) {
        // The row of an unregistered client (its codes and tokens go with it): registered now.
        await deps.store.deleteClient(id);
      }
      const now = deps.clock.now();
      const minted = SECRET_METHODS.has(metadata.tokenEndpointAuthMethod) ? mintClientSecret(now) : undefined;
      const client = await deps.store.createClient(
        {
          ...metadata,
          ...(extra?.registrationTokenHash === undefined
            ? {}
            : { registrationTokenHash: extra.registrationTokenHash }),
          id,
          secrets: minted === undefined ? [] : [minted.record],
        },
        now,
      );
      // Evicts a negative cache entry anywhere, should one exist for this id.
      deps.bus.publish('client.updated', { clientId: client.id });
      audit('client.created', context, client.id, {
        name: client.name,
        grant_types: client.grantTypes,
        token_endpoint_auth_method: client.tokenEndpointAuthMethod,
        secret_start: minted?.record.start ?? null,
      });
      return { client, secret: minted?.secret };
    },

    async list(options = {}) {
      const limit = options.limit ?? MAX_CLIENT_PAGE;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CLIENT_PAGE) {
        throw OAuthError.invalidRequest(`limit must be an integer from 1 to ${MAX_CLIENT_PAGE}`);
      }
      try {
        return await deps.store.listClients({
          limit,
          ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
        });
      } catch (error) {
        if (error instanceof RangeError) {
          throw OAuthError.invalidRequest('cursor is not a cursor returned by this API', { cause: error });
        }
        throw error;
      }
    },

    get,

    async update(id, input, context) {
      if (!isStoredClientId(id)) {
        throw notFound(id);
      }
      const patch = parseClientPatch(input, schemas);
      // The sector document is fetched outside the transaction, for the values the update will
      // write; the transaction refuses the update if a concurrent one changed them meanwhile.
      const sectorTouched = patch.sectorIdentifierUri !== undefined || patch.redirectUris !== undefined;
      const checked = sectorTouched ? applyClientPatch(metadataOf(await get(id)), patch) : undefined;
      await checkSector(checked);
      const { before, after } = await deps.store.transaction(async (tx) => {
        const current = await tx.findClient(id);
        if (current === undefined) {
          throw notFound(id);
        }
        const merged = applyClientPatch(metadataOf(current), patch);
        if (
          checked !== undefined &&
          (merged.sectorIdentifierUri !== checked.sectorIdentifierUri ||
            merged.redirectUris.join(' ') !== checked.redirectUris.join(' '))
        ) {
          throw OAuthError.invalidRequest('The client changed during this update; send it again');
        }
        // A public client has no secret and a confidential one must keep its credentials: switching
        // between the two is a new client, not an edit.
        if ((current.tokenEndpointAuthMethod === 'none') !== (merged.tokenEndpointAuthMethod === 'none')) {
          throw OAuthError.invalidClientMetadata(
            'token_endpoint_auth_method cannot change between none (public) and a confidential method; create a new client',
          );
        }
        return { before: current, after: await tx.updateClient(id, patch, deps.clock.now()) };
      });
      deps.bus.publish('client.updated', { clientId: id });
      audit('client.updated', context, id, {
        fields: Object.keys(patch).map((field) => wireNameOf(field as keyof ClientMetadata)),
      });
      if (after.disabled && !before.disabled) {
        await revokeTokensOf(id);
      }
      return after;
    },

    async delete(id, context) {
      if (!isStoredClientId(id)) {
        throw notFound(id);
      }
      try {
        await deps.store.deleteClient(id);
      } catch (error) {
        if (error instanceof NotFoundError) {
          throw notFound(id);
        }
        throw error;
      }
      deps.bus.publish('client.deleted', { clientId: id });
      audit('client.deleted', context, id, {});
      await revokeTokensOf(id);
    },

    async block(id, context) {
      if (!isExternalClientId(id)) {
        throw OAuthError.invalidRequest('Only a DID or an HTTPS metadata document URL can be blocked');
      }
      const now = deps.clock.now();
      const client = await deps.store.transaction(async (tx) => {
        const current = await tx.findClient(id);
        if (current !== undefined) {
          return current.disabled ? current : tx.updateClient(id, { disabled: true }, now);
        }
        return tx.createClient(
          {
            id,
            name: `blocked ${id.slice(0, 100)}`,
            grantTypes: [],
            scope: [],
            defaultScope: [],
            audiences: [],
            redirectUris: [],
            postLogoutRedirectUris: [],
            tokenEndpointAuthMethod: 'private_key_jwt',
            tokenFormat: 'jwt',
            accessTokenTtl: null,
            metadata: {},
            jwks: null,
            jwksUri: null,
            idTokenSignedResponseAlg: null,
            subjectType: 'public',
            sectorIdentifierUri: null,
            requireMfa: false,
            firstParty: false,
            permissions: [],
            disabled: true,
            secrets: [],
            // Still an unregistered client's row: deleting it gives the id back to the policy.
            source: id.startsWith('did:') ? 'did' : 'metadata_document',
          },
          now,
        );
      });
      deps.bus.publish('client.updated', { clientId: id });
      audit('client.blocked', context, id, {});
      await revokeTokensOf(id);
      return client;
    },

    async rotateSecret(id, graceSeconds, context) {
      const grace = graceSeconds ?? deps.config.clients.secretRotationGrace;
      if (!Number.isInteger(grace) || grace < 0 || grace > MAX_ROTATION_GRACE) {
        throw OAuthError.invalidRequest('grace must be from 0 seconds to 30 days');
      }
      const current = await get(id);
      if (current.tokenEndpointAuthMethod === 'none') {
        throw OAuthError.invalidRequest(
          'A public client (token_endpoint_auth_method none) has no secret to rotate',
        );
      }
      const now = deps.clock.now();
      const minted = mintClientSecret(now);
      let client: ClientRecord;
      try {
        client = await deps.store.rotateClientSecret(id, minted.record, now + grace, now);
      } catch (error) {
        if (error instanceof NotFoundError) {
          throw notFound(id);
        }
        throw error;
      }
      deps.bus.publish('client.updated', { clientId: id });
      audit('client.secret_rotated', context, id, {
        secret_start: minted.record.start,
        grace_seconds: grace,
      });
      await deps.credentialChanges?.changed(
        { subject: id, changeType: 'update', credentialType: 'client-secret' },
        context?.actor ?? 'admin',
      );
      return { client, secret: minted.secret, previousExpireAt: now + grace };
    },
  };
}
