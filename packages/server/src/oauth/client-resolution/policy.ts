/**
 * The unregistered-client policy (DESIGN §9, "clients without secrets"): what a client that is
 * known only by what its id names (a DID, a Client ID Metadata Document) may get. One policy for
 * every resolver, set in config (`clients.unregistered*`); an admin who wants to give one such
 * client more rights stores a client record under its id instead (the registry prefers it).
 */
import type { ClientRecord, TokenEndpointAuthMethod } from '../../store/ports.js';

export interface UnregisteredClientPolicy {
  /** Grant types such a client may use (only those it can use at all take effect). */
  grantTypes: readonly string[];
  /** Scopes it may be granted; a request naming none gets all of them. */
  scope: readonly string[];
  /** RFC 8707 resources it may name; the first is the default audience (none: the issuer). */
  audiences: readonly string[];
}

export interface UnregisteredClientShape {
  id: string;
  name: string;
  source: NonNullable<ClientRecord['source']>;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  jwks: { keys: Record<string, unknown>[] } | null;
  jwksUri?: string | null;
  redirectUris?: string[];
  /** Grant types the client itself declares (a metadata document); kept only where the policy allows. */
  grantTypes?: readonly string[];
}

/** A client record for an unregistered client: never stored, bounded by the policy. */
export function unregisteredClient(
  shape: UnregisteredClientShape,
  policy: UnregisteredClientPolicy,
  now: number,
): ClientRecord {
  const declared = shape.grantTypes ?? policy.grantTypes;
  return {
    id: shape.id,
    name: shape.name,
    grantTypes: policy.grantTypes.filter((grantType) => declared.includes(grantType)),
    scope: [...policy.scope],
    defaultScope: [],
    audiences: [...policy.audiences],
    redirectUris: shape.redirectUris ?? [],
    postLogoutRedirectUris: [],
    tokenEndpointAuthMethod: shape.tokenEndpointAuthMethod,
    tokenFormat: 'jwt',
    accessTokenTtl: null,
    metadata: {},
    jwks: shape.jwks,
    jwksUri: shape.jwksUri ?? null,
    idTokenSignedResponseAlg: null,
    subjectType: 'public',
    sectorIdentifierUri: null,
    requireMfa: false,
    firstParty: false,
    permissions: [],
    dpopBoundAccessTokens: false,
    disabled: false,
    secrets: [],
    createdAt: now,
    updatedAt: now,
    source: shape.source,
  };
}
