/**
 * Client metadata: the wire form (RFC 7591 §2 member names, snake_case) validated and normalised to
 * the stored form. One zod schema per field both validates and documents (the admin OpenAPI
 * document is generated from it), so the two cannot drift. Rules that join fields (default scope
 * within scope, public clients, redirect URIs for the code grant) run on the merged result, so a
 * PATCH is held to the same rules as a create.
 */
import { isScopeToken, OAuthError, parseScope } from '@tessera/protocol';
import { z } from 'zod';
import { parseDuration } from '../../config/schema.js';
import type { ClientPatch, ClientRecord, SigningAlgorithm } from '../../store/ports.js';
import { RESERVED_METADATA_CLAIMS } from '../../tokens/access-token.js';
import { findResourceUriProblem } from '../../tokens/audience.js';
import { sectorOf } from '../oidc/pairwise.js';
import { findJwksProblem } from './jwks.js';
import { CLIENT_PERMISSION_NAMES } from './permissions.js';
import { findJwksUriProblem, findRedirectUriProblem } from './redirect-uri.js';

/** The settings of a client as stored: everything but its id, secrets and timestamps. */
export type ClientMetadata = Omit<ClientRecord, 'id' | 'secrets' | 'createdAt' | 'updatedAt'>;

export interface ClientRules {
  /** `tokens.maxAccessTokenTtl`: the upper bound of a client's `access_token_ttl`. */
  maxAccessTokenTtl: number;
  /** --dev: allows `http://localhost` redirect URIs and loopback http `jwks_uri`. */
  dev: boolean;
  /** `clients.allowPrivateJwksUri`: a `jwks_uri` may name a non-public host. */
  allowPrivateJwksUri?: boolean;
  /** The algorithms the keyring signs ID tokens with (`oidc.idTokenAlgorithm` first). */
  idTokenAlgorithms?: readonly SigningAlgorithm[];
}

export const GRANT_TYPES = [
  'client_credentials',
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:device_code',
] as const;
const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export const TOKEN_FORMATS = ['jwt', 'opaque'] as const;
export const SUBJECT_TYPES = ['public', 'pairwise'] as const;
export const SIGNING_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const satisfies readonly SigningAlgorithm[];

/**
 * Claims a client's static metadata may never set: one list, shared with the token service that
 * enforces it again at issuance (tokens/access-token.ts).
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = RESERVED_METADATA_CLAIMS;

/** Keys that would reach an object's prototype when spread into claims. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export const MAX_METADATA_BYTES = 4096;
const MAX_METADATA_KEYS = 50;
const MAX_URIS = 20;
const MAX_SCOPES = 100;
const MAX_SCOPE_TOKEN = 128;

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function scopeString(description: string) {
  return z
    .string()
    .max(4096)
    .transform((value, ctx) => {
      // RFC 6749 §3.3: tokens are separated by spaces; extra spaces are forgiven, other whitespace is not a token character.
      const tokens = parseScope(value);
      if (tokens.length > MAX_SCOPES) {
        ctx.addIssue({ code: 'custom', message: `must hold at most ${MAX_SCOPES} scopes` });
        return z.NEVER;
      }
      for (const token of tokens) {
        if (!isScopeToken(token) || token.length > MAX_SCOPE_TOKEN) {
          ctx.addIssue({
            code: 'custom',
            message: `must be space-separated scope tokens of printable ASCII without quotes or backslashes, at most ${MAX_SCOPE_TOKEN} characters each (RFC 6749 section 3.3)`,
          });
          return z.NEVER;
        }
      }
      return tokens;
    })
    .meta({ description, examples: ['read write'] });
}

function uriList(check: (uri: string) => string | undefined, description: string) {
  return z
    .array(z.string())
    .max(MAX_URIS)
    .superRefine((uris, ctx) => {
      for (const [index, uri] of uris.entries()) {
        const problem = check(uri);
        if (problem !== undefined) {
          ctx.addIssue({ code: 'custom', message: problem, path: [index] });
        }
      }
    })
    .transform((uris) => unique(uris))
    .meta({ description });
}

function duration(rules: ClientRules) {
  return z
    .union([z.string(), z.number()], {
      error: 'must be a duration such as "10m", "1h" or a number of seconds',
    })
    .transform((value, ctx) => {
      const seconds = parseDuration(value);
      if (seconds === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be a duration such as "10m", "1h" or a number of seconds',
        });
        return z.NEVER;
      }
      if (seconds < 1 || seconds > rules.maxAccessTokenTtl) {
        ctx.addIssue({
          code: 'custom',
          message: `must be between 1 second and tokens.maxAccessTokenTtl (${rules.maxAccessTokenTtl} seconds)`,
        });
        return z.NEVER;
      }
      return seconds;
    });
}

function metadataObject() {
  return z
    .record(z.string(), z.unknown())
    .superRefine((metadata, ctx) => {
      const keys = Object.keys(metadata);
      if (keys.length > MAX_METADATA_KEYS) {
        ctx.addIssue({ code: 'custom', message: `must have at most ${MAX_METADATA_KEYS} keys` });
        return;
      }
      for (const key of keys) {
        if (RESERVED_CLAIMS.has(key)) {
          ctx.addIssue({
            code: 'custom',
            message: `must not set the registered claim ${key}: static claims never override registered claims (RFC 9068 section 2.2)`,
            path: [key],
          });
          return;
        }
        if (UNSAFE_KEYS.has(key) || !/^[\x21-\x7E]{1,100}$/.test(key)) {
          ctx.addIssue({
            code: 'custom',
            message:
              'keys must be 1 to 100 printable ASCII characters, not __proto__, constructor or prototype',
          });
          return;
        }
      }
      let size: number;
      try {
        size = Buffer.byteLength(JSON.stringify(metadata));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be plain JSON' });
        return;
      }
      if (size > MAX_METADATA_BYTES) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_METADATA_BYTES} bytes as JSON` });
      }
    })
    .meta({
      description:
        'Static claims added to every access token of the client (and to introspection). Registered claims are refused.',
      examples: [{ tenant: 'acme', plan: 'gold' }],
    });
}

/** The wire fields, each validated and normalised on its own. */
function fieldSchemas(rules: ClientRules) {
  return {
    name: z
      .string()
      .min(1)
      .max(200)
      .regex(/^\P{Cc}+$/u, { error: 'must not contain control characters' })
      .meta({ description: 'Display name.', examples: ['Billing service'] }),
    grant_types: z
      .array(z.enum(GRANT_TYPES))
      .min(1)
      .transform((values) => unique(values))
      .meta({
        description:
          'Grants the client may use. Default: client_credentials, or authorization_code for a public client.',
      }),
    scope: scopeString('Space-separated scopes the client may be granted (RFC 6749 section 3.3).'),
    default_scope: scopeString(
      'Scopes granted when a token request names none; a subset of scope. Empty: all of scope.',
    ),
    audiences: uriList(
      findResourceUriProblem,
      'Resources (RFC 8707) the client may ask tokens for; the first is the default aud. Absolute URIs without fragment.',
    ),
    redirect_uris: uriList(
      (uri) => findRedirectUriProblem(uri, rules),
      'Exact redirect URIs (https, loopback http, or a private-use scheme per RFC 8252). Required for authorization_code.',
    ),
    post_logout_redirect_uris: uriList(
      (uri) => findRedirectUriProblem(uri, rules),
      'Exact URIs the client may return to after logout (OpenID Connect RP-Initiated Logout).',
    ),
    token_endpoint_auth_method: z.enum(AUTH_METHODS).meta({
      description:
        'How the client authenticates (RFC 7591 section 2). none makes a public client: no secret, authorization_code only. Default: client_secret_basic.',
    }),
    token_format: z
      .enum(TOKEN_FORMATS)
      .meta({ description: 'Access-token format: jwt (RFC 9068) or opaque. Default: jwt.' }),
    access_token_ttl: duration(rules)
      .nullable()
      .meta({
        description:
          'Access-token lifetime: a duration ("10m", "1h") or seconds, at most tokens.maxAccessTokenTtl. null: the server default.',
        examples: ['10m', 600],
      }),
    metadata: metadataObject(),
    jwks: z
      .object({ keys: z.array(z.record(z.string(), z.unknown())) })
      .superRefine((jwks, ctx) => {
        const problem = findJwksProblem(jwks);
        if (problem !== undefined) {
          ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
        }
      })
      .nullable()
      .meta({
        description: 'JWK Set of public keys for private_key_jwt (RFC 7523). Private members are refused.',
      }),
    jwks_uri: z
      .string()
      .superRefine((uri, ctx) => {
        const problem = findJwksUriProblem(uri, rules);
        if (problem !== undefined) {
          ctx.addIssue({ code: 'custom', message: problem });
        }
      })
      .nullable()
      .meta({ description: 'https URL of the client JWK Set for private_key_jwt; not together with jwks.' }),
    id_token_signed_response_alg: z
      .enum(SIGNING_ALGORITHMS)
      .superRefine((alg, ctx) => {
        const supported = rules.idTokenAlgorithms ?? SIGNING_ALGORITHMS;
        if (!supported.includes(alg)) {
          ctx.addIssue({
            code: 'custom',
            message: `this server signs ID tokens with ${supported.join(', ')} (id_token_signing_alg_values_supported)`,
          });
        }
      })
      .nullable()
      .meta({
        description:
          "ID token signature algorithm for this client (OpenID Connect Registration section 2), one of the discovery document's id_token_signing_alg_values_supported. null: oidc.idTokenAlgorithm.",
      }),
    subject_type: z.enum(SUBJECT_TYPES).meta({
      description:
        'OpenID Connect Core section 8: public (every client sees the user id as sub) or pairwise (each sector sees its own sub in ID tokens and userinfo). Default: public.',
    }),
    sector_identifier_uri: z
      .string()
      .max(2000)
      .superRefine((uri, ctx) => {
        const problem = findJwksUriProblem(uri, rules);
        if (problem !== undefined) {
          ctx.addIssue({ code: 'custom', message: problem });
        }
      })
      .nullable()
      .meta({
        description:
          'OpenID Connect Registration section 5: https URL of a JSON array listing every redirect_uri; its host is the pairwise sector. null: the host of the redirect URIs.',
      }),
    first_party: z
      .boolean()
      .meta({ description: 'A first-party client skips the consent page. Default: false.' }),
    dpop_bound_access_tokens: z.boolean().meta({
      description:
        'RFC 9449 §5.2: token requests without a DPoP proof are refused, so every access token is DPoP-bound. Default: false.',
    }),
    require_mfa: z.boolean().meta({
      description:
        'Every sign-in for this client needs a second factor (acr urn:tessera:acr:mfa or stronger, see docs/mfa.md). Default: false.',
    }),
    permissions: z
      .array(z.enum(CLIENT_PERMISSION_NAMES))
      .transform((values) => unique(values))
      .meta({ description: 'Tessera permissions beyond scopes (see docs/clients.md). Default: none.' }),
    disabled: z.boolean().meta({ description: 'A disabled client cannot authenticate. Default: false.' }),
  };
}

type Fields = ReturnType<typeof fieldSchemas>;
type WireName = keyof Fields;

/** Wire name → stored field name. */
const FIELD_OF = {
  name: 'name',
  grant_types: 'grantTypes',
  scope: 'scope',
  default_scope: 'defaultScope',
  audiences: 'audiences',
  redirect_uris: 'redirectUris',
  post_logout_redirect_uris: 'postLogoutRedirectUris',
  token_endpoint_auth_method: 'tokenEndpointAuthMethod',
  token_format: 'tokenFormat',
  access_token_ttl: 'accessTokenTtl',
  metadata: 'metadata',
  jwks: 'jwks',
  jwks_uri: 'jwksUri',
  id_token_signed_response_alg: 'idTokenSignedResponseAlg',
  subject_type: 'subjectType',
  sector_identifier_uri: 'sectorIdentifierUri',
  first_party: 'firstParty',
  dpop_bound_access_tokens: 'dpopBoundAccessTokens',
  require_mfa: 'requireMfa',
  permissions: 'permissions',
  disabled: 'disabled',
} as const satisfies Record<WireName, keyof ClientMetadata>;

/** The wire name of a stored field, for messages. */
export function wireNameOf(field: keyof ClientMetadata): WireName {
  const entry = Object.entries(FIELD_OF).find(([, stored]) => stored === field);
  return (entry?.[0] ?? field) as WireName;
}

export interface ClientMetadataSchemas {
  /** Body of a create: `name` required, everything else optional with defaults. */
  create: z.ZodType;
  /** Body of a PATCH: every field optional; present fields replace stored ones. */
  patch: z.ZodType;
}

/** The zod schemas of the wire bodies (also the source of the OpenAPI document). */
export function createClientMetadataSchemas(rules: ClientRules): ClientMetadataSchemas {
  const fields = fieldSchemas(rules);
  const optional = Object.fromEntries(
    Object.entries(fields).map(([key, schema]) => [key, schema.optional()]),
  ) as {
    [K in WireName]: z.ZodOptional<Fields[K]>;
  };
  return {
    create: z.strictObject({
      ...optional,
      name: fields.name,
      client_id: z.string().max(2048).optional().meta({
        description:
          'Store the client under this id instead of a minted cli_...: a DID or an HTTPS Client ID Metadata Document URL, to give that unregistered client its own rights (or, with disabled, to block it).',
      }),
    }),
    patch: z.strictObject(optional),
  };
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

const REDIRECT_FIELDS = new Set(['redirect_uris', 'post_logout_redirect_uris']);

/** Zod's message for a type mismatch, reworded to read after the field name. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    return `must be ${issue.expected === 'array' ? 'an array' : issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`;
  }
  if (issue.code === 'invalid_value') {
    return `must be one of: ${issue.values.map(String).join(', ')}`;
  }
  if (issue.code === 'too_small') {
    return issue.origin === 'array'
      ? `must hold at least ${String(issue.minimum)} item(s)`
      : 'must not be empty';
  }
  if (issue.code === 'too_big') {
    return issue.origin === 'array'
      ? `must hold at most ${String(issue.maximum)} items`
      : `must be at most ${String(issue.maximum)} characters`;
  }
  return undefined;
}

/** Throws the OAuthError for the first problem of a failed parse, naming the field. */
function throwFirstIssue(error: z.ZodError): never {
  const unknown = error.issues.find((issue) => issue.code === 'unrecognized_keys');
  if (unknown !== undefined && unknown.code === 'unrecognized_keys') {
    const names = unknown.keys.slice(0, 5).map((key) => key.slice(0, 40));
    throw OAuthError.invalidRequest(`Unknown field(s): ${names.join(', ')}`);
  }
  const issue = error.issues[0];
  if (issue === undefined) {
    throw OAuthError.invalidClientMetadata('Invalid client metadata');
  }
  if (issue.path.length === 0) {
    throw OAuthError.invalidRequest(`The body ${issue.message}`);
  }
  const field = formatPath(issue.path);
  const description = `${field} ${issue.message}`;
  if (REDIRECT_FIELDS.has(String(issue.path[0]))) {
    throw OAuthError.invalidRedirectUri(description);
  }
  throw OAuthError.invalidClientMetadata(description);
}

function parseWire(schema: z.ZodType, input: unknown): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw OAuthError.invalidRequest('The body must be a JSON object');
  }
  const result = schema.safeParse(input, { error: describeIssue });
  if (!result.success) {
    throwFirstIssue(result.error);
  }
  return result.data as Record<string, unknown>;
}

function toStored(wire: Record<string, unknown>): ClientPatch {
  const patch: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(wire)) {
    if (value !== undefined) {
      patch[FIELD_OF[name as WireName]] = value;
    }
  }
  return patch as ClientPatch;
}

/**
 * Validates the metadata of a new client and fills in the defaults. Throws `invalid_request` for a
 * body that is not an object or has unknown fields, `invalid_redirect_uri` for a bad redirect URI and
 * `invalid_client_metadata` for any other bad value, each naming the field.
 */
export function parseNewClientMetadata(input: unknown, schemas: ClientMetadataSchemas): ClientMetadata {
  const { client_id: _chosenId, ...wire } = parseWire(schemas.create, input);
  const given = toStored(wire);
  const method = given.tokenEndpointAuthMethod ?? 'client_secret_basic';
  const metadata: ClientMetadata = {
    name: given.name ?? '',
    grantTypes: given.grantTypes ?? (method === 'none' ? ['authorization_code'] : ['client_credentials']),
    scope: given.scope ?? [],
    defaultScope: given.defaultScope ?? [],
    audiences: given.audiences ?? [],
    redirectUris: given.redirectUris ?? [],
    postLogoutRedirectUris: given.postLogoutRedirectUris ?? [],
    tokenEndpointAuthMethod: method,
    tokenFormat: given.tokenFormat ?? 'jwt',
    accessTokenTtl: given.accessTokenTtl ?? null,
    metadata: given.metadata ?? {},
    jwks: given.jwks ?? null,
    jwksUri: given.jwksUri ?? null,
    idTokenSignedResponseAlg: given.idTokenSignedResponseAlg ?? null,
    subjectType: given.subjectType ?? 'public',
    sectorIdentifierUri: given.sectorIdentifierUri ?? null,
    firstParty: given.firstParty ?? false,
    dpopBoundAccessTokens: given.dpopBoundAccessTokens ?? false,
    requireMfa: given.requireMfa ?? false,
    permissions: given.permissions ?? [],
    disabled: given.disabled ?? false,
  };
  assertClientConsistent(metadata);
  return metadata;
}

/** Validates a PATCH body field by field; {@link applyClientPatch} then checks the merged result. */
export function parseClientPatch(input: unknown, schemas: ClientMetadataSchemas): ClientPatch {
  return toStored(parseWire(schemas.patch, input));
}

/** The stored metadata with `patch` applied, held to every rule a new client is held to. */
export function applyClientPatch(current: ClientMetadata, patch: ClientPatch): ClientMetadata {
  const merged: ClientMetadata = { ...current };
  for (const [field, value] of Object.entries(patch)) {
    if (value !== undefined) {
      (merged as unknown as Record<string, unknown>)[field] = value;
    }
  }
  assertClientConsistent(merged);
  return merged;
}

/** The metadata of a stored client (the record without id, secrets and timestamps). */
export function metadataOf(client: ClientRecord): ClientMetadata {
  const { id: _id, secrets: _secrets, createdAt: _createdAt, updatedAt: _updatedAt, ...metadata } = client;
  return metadata;
}

/** Rules between fields; throws `invalid_client_metadata` / `invalid_redirect_uri` naming the field. */
export function assertClientConsistent(metadata: ClientMetadata): void {
  const allowed = new Set(metadata.scope);
  const outside = metadata.defaultScope.filter((token) => !allowed.has(token));
  if (outside.length > 0) {
    throw OAuthError.invalidClientMetadata(
      `default_scope must be a subset of scope; not in scope: ${outside.slice(0, 5).join(' ')}`,
    );
  }
  const grants = new Set(metadata.grantTypes);
  // RFC 6749 §4.4.3: client credentials issue no refresh token; refresh tokens come from a grant
  // for people (the code grant or the device grant, RFC 8628 §3.5).
  if (grants.has('refresh_token') && !grants.has('authorization_code') && !grants.has(DEVICE_CODE)) {
    throw OAuthError.invalidClientMetadata(
      'grant_types: refresh_token needs authorization_code or urn:ietf:params:oauth:grant-type:device_code',
    );
  }
  if (metadata.tokenEndpointAuthMethod === 'none') {
    // OAuth 2.1 §2.1: a public client cannot keep a secret, so it cannot use client credentials;
    // RFC 8628 §3.1 lets public clients (devices that cannot keep one either) use the device grant.
    if (grants.has('client_credentials') || (!grants.has('authorization_code') && !grants.has(DEVICE_CODE))) {
      throw OAuthError.invalidClientMetadata(
        'grant_types: a public client (token_endpoint_auth_method none) may use only authorization_code, urn:ietf:params:oauth:grant-type:device_code and refresh_token',
      );
    }
  }
  // RFC 6749 §3.1.2.2: the code grant needs registered redirect URIs (exact matching, RFC 9700 §4.1).
  if (grants.has('authorization_code') && metadata.redirectUris.length === 0) {
    throw OAuthError.invalidRedirectUri(
      'redirect_uris must list at least one URI for the authorization_code grant',
    );
  }
  // OIDC Core §8.1: without sector_identifier_uri the sector is the redirect URIs' host; "If there
  // are multiple hostnames in the registered redirect_uris, the Client MUST register a
  // sector_identifier_uri".
  if (metadata.subjectType === 'pairwise' && sectorOf(metadata) === undefined) {
    throw OAuthError.invalidClientMetadata(
      'subject_type pairwise needs redirect_uris on one host, or a sector_identifier_uri (OpenID Connect Core section 8.1)',
    );
  }
  // RFC 7591 §2: "The jwks_uri and jwks parameters MUST NOT both be present".
  if (metadata.jwks !== null && metadata.jwksUri !== null) {
    throw OAuthError.invalidClientMetadata('jwks and jwks_uri must not both be set (RFC 7591 section 2)');
  }
  if (
    metadata.tokenEndpointAuthMethod === 'private_key_jwt' &&
    metadata.jwks === null &&
    metadata.jwksUri === null
  ) {
    throw OAuthError.invalidClientMetadata(
      'token_endpoint_auth_method private_key_jwt needs jwks or jwks_uri',
    );
  }
}
