/**
 * Discovery metadata (RFC 8414 §2 and OpenID Connect Discovery 1.0 §3), built from what the server
 * actually has, so it advertises only what is implemented. Both documents come from this one
 * function; the OpenID document is the OAuth one plus the OIDC-only members.
 */
import type { SigningAlgorithm } from '../store/ports.js';

/** What the running server implements; each feature adds its part when it is registered. */
export interface Capabilities {
  /** Endpoint metadata names (`token_endpoint` …) → path below the issuer. */
  endpoints: Map<string, string>;
  grantTypes: Set<string>;
  responseTypes: Set<string>;
  responseModes: Set<string>;
  tokenEndpointAuthMethods: Set<string>;
  scopes: Set<string>;
  claims: Set<string>;
  codeChallengeMethods: Set<string>;
  /** Access-token (and, with OIDC, ID-token) signature algorithms. */
  signingAlgorithms: Set<SigningAlgorithm>;
  idTokenSigningAlgorithms: Set<SigningAlgorithm>;
  /** Extra members (e.g. `authorization_response_iss_parameter_supported`). */
  extra: Map<string, unknown>;
}

export function createCapabilities(): Capabilities {
  return {
    endpoints: new Map(),
    grantTypes: new Set(),
    responseTypes: new Set(),
    responseModes: new Set(),
    tokenEndpointAuthMethods: new Set(),
    scopes: new Set(),
    claims: new Set(),
    codeChallengeMethods: new Set(),
    signingAlgorithms: new Set(),
    idTokenSigningAlgorithms: new Set(),
    extra: new Map(),
  };
}

const AUTH_METHOD_ENDPOINTS = ['token_endpoint', 'introspection_endpoint', 'revocation_endpoint'] as const;

/** RFC 8414 §2 authorization server metadata. */
export function buildAuthorizationServerMetadata(
  issuer: string,
  caps: Capabilities,
): Record<string, unknown> {
  const meta: Record<string, unknown> = { issuer };
  for (const [name, path] of caps.endpoints) {
    meta[name] = issuer + path;
  }
  if (caps.scopes.size > 0) {
    meta.scopes_supported = [...caps.scopes];
  }
  meta.response_types_supported = [...caps.responseTypes];
  if (caps.responseModes.size > 0) {
    meta.response_modes_supported = [...caps.responseModes];
  }
  meta.grant_types_supported = [...caps.grantTypes];
  if (caps.tokenEndpointAuthMethods.size > 0) {
    const methods = [...caps.tokenEndpointAuthMethods];
    const signing = methods.includes('private_key_jwt')
      ? ['ES256', 'EdDSA', 'RS256', 'PS256', 'ES384']
      : undefined;
    for (const endpoint of AUTH_METHOD_ENDPOINTS) {
      if (caps.endpoints.has(endpoint)) {
        meta[`${endpoint}_auth_methods_supported`] = methods;
        if (signing !== undefined) {
          meta[`${endpoint}_auth_signing_alg_values_supported`] = signing;
        }
      }
    }
  }
  if (caps.codeChallengeMethods.size > 0) {
    meta.code_challenge_methods_supported = [...caps.codeChallengeMethods];
  }
  for (const [name, value] of caps.extra) {
    meta[name] = value;
  }
  return meta;
}

/** OpenID Connect Discovery 1.0 §3: the OAuth metadata plus the OIDC members. */
export function buildOpenIdConfiguration(issuer: string, caps: Capabilities): Record<string, unknown> {
  const meta = buildAuthorizationServerMetadata(issuer, caps);
  // OIDC Core §8: per client (`subject_type`).
  meta.subject_types_supported = ['public', 'pairwise'];
  meta.id_token_signing_alg_values_supported = [...caps.idTokenSigningAlgorithms];
  if (caps.claims.size > 0) {
    meta.claims_supported = [...caps.claims];
  }
  return meta;
}
