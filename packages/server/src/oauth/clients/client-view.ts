/**
 * How a client is shown on the wire (admin API, CLI `--json`): RFC 7591 member names in
 * snake_case, secrets only by display start and lifetime, never a hash. The zod schema documents
 * the shape in the OpenAPI document; `toClientView` is typed by it, so the two cannot drift.
 */
import { z } from 'zod';
import type { ClientRecord } from '../../store/ports.js';
import {
  AUTH_METHODS,
  GRANT_TYPES,
  SIGNING_ALGORITHMS,
  SUBJECT_TYPES,
  TOKEN_FORMATS,
} from './client-metadata.js';

export const clientSecretViewSchema = z.strictObject({
  start: z
    .string()
    .meta({ description: 'The first characters after tsr_cs_, to tell secrets apart. Not the secret.' }),
  created_at: z.int().meta({ description: 'Seconds since the epoch.' }),
  expires_at: z.int().nullable().meta({
    description: 'When a rotated-away secret stops working (seconds since the epoch); null: no expiry.',
  }),
});

export const clientViewSchema = z.strictObject({
  client_id: z.string().meta({ examples: ['cli_2b9cCq3vN8Yp0hXfKx1mAw'] }),
  name: z.string(),
  grant_types: z.array(z.enum(GRANT_TYPES)),
  scope: z.string().meta({ description: 'Space-separated.' }),
  default_scope: z.string().meta({ description: 'Space-separated; empty means all of scope.' }),
  audiences: z.array(z.string()),
  redirect_uris: z.array(z.string()),
  post_logout_redirect_uris: z.array(z.string()),
  token_endpoint_auth_method: z.enum(AUTH_METHODS),
  token_format: z.enum(TOKEN_FORMATS),
  access_token_ttl: z
    .int()
    .nullable()
    .meta({ description: 'Seconds; null: the server default (tokens.accessTokenTtl).' }),
  metadata: z.record(z.string(), z.unknown()),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).nullable(),
  jwks_uri: z.string().nullable(),
  id_token_signed_response_alg: z
    .enum(SIGNING_ALGORITHMS)
    .nullable()
    .meta({ description: 'null: the server default (oidc.idTokenAlgorithm).' }),
  subject_type: z
    .enum(SUBJECT_TYPES)
    .meta({ description: 'OpenID Connect Core section 8: public (the user id) or pairwise (per sector).' }),
  sector_identifier_uri: z.string().nullable(),
  first_party: z.boolean(),
  dpop_bound_access_tokens: z.boolean(),
  require_mfa: z.boolean(),
  permissions: z.array(z.string()),
  disabled: z.boolean(),
  secrets: z
    .array(clientSecretViewSchema)
    .meta({ description: 'Secrets that still work (public clients have none).' }),
  created_at: z.int(),
  updated_at: z.int(),
});

export type ClientView = z.output<typeof clientViewSchema>;

/** The answer to a create or a rotation: the only time the secret is ever shown. */
export const clientWithSecretViewSchema = clientViewSchema.extend({
  client_secret: z.string().meta({
    description: 'The new secret (tsr_cs_...). Shown once: Tessera stores only its SHA-256.',
  }),
});

/** The wire view of `client` at time `now` (secrets that expired by `now` are left out). */
export function toClientView(client: ClientRecord, now: number): ClientView {
  return {
    client_id: client.id,
    name: client.name,
    grant_types: client.grantTypes as ClientView['grant_types'],
    scope: client.scope.join(' '),
    default_scope: client.defaultScope.join(' '),
    audiences: client.audiences,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    token_format: client.tokenFormat,
    access_token_ttl: client.accessTokenTtl,
    metadata: client.metadata,
    jwks: client.jwks,
    jwks_uri: client.jwksUri,
    id_token_signed_response_alg: client.idTokenSignedResponseAlg,
    subject_type: client.subjectType,
    sector_identifier_uri: client.sectorIdentifierUri,
    first_party: client.firstParty,
    dpop_bound_access_tokens: client.dpopBoundAccessTokens,
    require_mfa: client.requireMfa,
    permissions: client.permissions,
    disabled: client.disabled,
    secrets: client.secrets
      .filter((secret) => secret.expiresAt === null || secret.expiresAt > now)
      .map((secret) => ({ start: secret.start, created_at: secret.createdAt, expires_at: secret.expiresAt })),
    created_at: client.createdAt,
    updated_at: client.updatedAt,
  };
}
