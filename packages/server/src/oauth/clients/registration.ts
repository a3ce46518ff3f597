/**
 * Dynamic Client Registration (RFC 7591) and its management protocol (RFC 7592), on top of the
 * client service, so a registered client is held to exactly the rules of an admin-created one
 * (redirect URIs, keys, auth methods) and is bounded by the unregistered-client policy (scopes,
 * grant types, audiences).
 *
 * - Who may register (`clients.registration`): `off`, `token` (an initial access token, RFC 7591
 *   §3: an admin token with the `clients:register` scope) or `open`.
 * - RFC 7591 §2: metadata the server does not understand is ignored; requested scopes outside the
 *   policy are dropped (the response says what was granted); a grant type outside it is refused.
 * - RFC 7592 §3: each registration mints a registration access token (`tsr_rat_…`, stored as its
 *   SHA-256) that reads, replaces and deletes that client only; any problem with it is 401.
 */
import { timingSafeEqual } from 'node:crypto';
import { OAuthError, parseScope } from '@tessera/protocol';
import { hashSecret, mintSecret } from '../../ids.js';
import type { ClientRecord } from '../../store/ports.js';
import type { UnregisteredClientPolicy } from '../client-resolution/policy.js';
import type { ClientService } from './client-service.js';

export type RegistrationPolicy = 'off' | 'token' | 'open';

export interface ClientRegistrationDeps {
  clients: ClientService;
  issuer: string;
  policy: UnregisteredClientPolicy;
  clock: { now(): number };
}

/** RFC 7591 §3.2.1 / RFC 7592 §3: the client information response. */
export type ClientInformation = Record<string, unknown>;

export interface ClientRegistration {
  /** RFC 7591 §3: registers; the response carries the secret (if any) and the management token, once. */
  register(body: unknown, requestId?: string): Promise<ClientInformation>;
  /** RFC 7592 §2.1. */
  read(clientId: string, token: string | undefined): Promise<ClientInformation>;
  /** RFC 7592 §2.2: the body replaces the client's metadata. */
  replace(
    clientId: string,
    token: string | undefined,
    body: unknown,
    requestId?: string,
  ): Promise<ClientInformation>;
  /** RFC 7592 §2.3. */
  remove(clientId: string, token: string | undefined, requestId?: string): Promise<void>;
}

const MAX_NAME = 200;

function stringList(body: Record<string, unknown>, name: string): string[] | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw OAuthError.invalidClientMetadata(`${name} must be an array of strings`);
  }
  return value as string[];
}

export function createClientRegistration(deps: ClientRegistrationDeps): ClientRegistration {
  const allowedScope = new Set(deps.policy.scope);

  /** RFC 7591 §2 metadata → the admin wire body of the client service (a full replacement). */
  function wireOf(input: unknown): Record<string, unknown> {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw OAuthError.invalidClientMetadata(
        'The body must be a JSON object of client metadata (RFC 7591 §2)',
      );
    }
    const body = input as Record<string, unknown>;
    const method = body.token_endpoint_auth_method ?? 'client_secret_basic';
    const grantTypes =
      stringList(body, 'grant_types') ??
      (method === 'none' ? ['authorization_code'] : ['client_credentials']);
    const refused = grantTypes.find((grant) => !deps.policy.grantTypes.includes(grant));
    if (refused !== undefined) {
      throw OAuthError.invalidClientMetadata(
        `grant_types: ${refused.slice(0, 60)} may not be registered here`,
      );
    }
    const responseTypes = stringList(body, 'response_types') ?? [];
    if (responseTypes.some((type) => type !== 'code')) {
      throw OAuthError.invalidClientMetadata('response_types: only code is supported');
    }
    if (body.scope !== undefined && typeof body.scope !== 'string') {
      throw OAuthError.invalidClientMetadata('scope must be a space-separated string');
    }
    const requested = body.scope === undefined ? [...allowedScope] : parseScope(body.scope as string);
    const name = typeof body.client_name === 'string' ? body.client_name.trim().slice(0, MAX_NAME) : '';
    return {
      name: name.length > 0 ? name : 'dynamically registered client',
      grant_types: grantTypes,
      token_endpoint_auth_method: method,
      redirect_uris: stringList(body, 'redirect_uris') ?? [],
      post_logout_redirect_uris: stringList(body, 'post_logout_redirect_uris') ?? [],
      scope: requested.filter((scope) => allowedScope.has(scope)).join(' '),
      audiences: [...deps.policy.audiences],
      ...(body.jwks === undefined ? {} : { jwks: body.jwks }),
      ...(body.jwks_uri === undefined ? {} : { jwks_uri: body.jwks_uri }),
      // OIDC Registration §2 / OIDC Core §8: checked by the client service like any metadata.
      ...(body.subject_type === undefined ? {} : { subject_type: body.subject_type }),
      ...(body.sector_identifier_uri === undefined
        ? {}
        : { sector_identifier_uri: body.sector_identifier_uri }),
    };
  }

  function informationOf(client: ClientRecord): ClientInformation {
    return {
      client_id: client.id,
      client_id_issued_at: client.createdAt,
      client_name: client.name,
      grant_types: client.grantTypes,
      response_types: client.grantTypes.includes('authorization_code') ? ['code'] : [],
      redirect_uris: client.redirectUris,
      post_logout_redirect_uris: client.postLogoutRedirectUris,
      token_endpoint_auth_method: client.tokenEndpointAuthMethod,
      scope: client.scope.join(' '),
      ...(client.jwks === null ? {} : { jwks: client.jwks }),
      ...(client.jwksUri === null ? {} : { jwks_uri: client.jwksUri }),
      subject_type: client.subjectType,
      ...(client.sectorIdentifierUri === null ? {} : { sector_identifier_uri: client.sectorIdentifierUri }),
      registration_client_uri: `${deps.issuer}/register/${encodeURIComponent(client.id)}`,
    };
  }

  /** RFC 7592 §3: the client, if `token` is its registration access token; else 401. */
  async function authorized(clientId: string, token: string | undefined): Promise<ClientRecord> {
    const refused = OAuthError.invalidToken(
      'The registration access token is missing, invalid or not for this client',
    );
    if (token === undefined) {
      throw refused;
    }
    let client: ClientRecord;
    try {
      client = await deps.clients.get(clientId);
    } catch {
      throw refused;
    }
    const expected = client.registrationTokenHash;
    const given = Buffer.from(hashSecret(token));
    if (
      expected === undefined ||
      expected.length !== given.length ||
      !timingSafeEqual(Buffer.from(expected), given)
    ) {
      throw refused;
    }
    return client;
  }

  const context = (requestId: string | undefined) => ({
    actor: 'registration',
    requestId: requestId ?? null,
  });

  return {
    async register(body, requestId) {
      const token = mintSecret('rat');
      const { client, secret } = await deps.clients.create(wireOf(body), context(requestId), {
        registrationTokenHash: hashSecret(token),
      });
      return {
        ...informationOf(client),
        registration_access_token: token,
        ...(secret === undefined ? {} : { client_secret: secret, client_secret_expires_at: 0 }),
      };
    },

    async read(clientId, token) {
      return informationOf(await authorized(clientId, token));
    },

    async replace(clientId, token, body, requestId) {
      await authorized(clientId, token);
      const given = (body as { client_id?: unknown } | null)?.client_id;
      if (given !== undefined && given !== clientId) {
        throw OAuthError.invalidClientMetadata(
          'client_id in the body must be the client being updated (RFC 7592 §2.2)',
        );
      }
      const wire = wireOf(body);
      return informationOf(await deps.clients.update(clientId, wire, context(requestId)));
    },

    async remove(clientId, token, requestId) {
      await authorized(clientId, token);
      await deps.clients.delete(clientId, context(requestId));
    },
  };
}
