/**
 * Discovery (RFC 8414 §3): the verifier reads `/.well-known/oauth-authorization-server` once to
 * learn `jwks_uri`, `introspection_endpoint` and Tessera's `revocation_stream_endpoint`. The
 * document's `issuer` must equal the configured issuer exactly (RFC 8414 §3.3), or an attacker who
 * can serve metadata could point us at their own keys.
 */
import { OAuthError } from '@tessera/protocol';

/**
 * The endpoints the verifier uses.
 *
 * @example
 * ```ts
 * createVerifier({ issuer, audience, endpoints: { jwksUri: 'https://auth.internal/jwks' } });
 * ```
 */
export interface VerifierEndpoints {
  jwksUri: string;
  introspectionEndpoint: string | undefined;
  /** Tessera extension: the Server-Sent Events stream of revocations. */
  revocationStreamEndpoint: string | undefined;
}

export interface DiscoveryOptions {
  issuer: string;
  fetch: typeof fetch;
  /** Milliseconds before the request is abandoned. */
  timeoutMs: number;
}

/**
 * RFC 8414 §3: the metadata URL of an issuer (path-aware: the well-known part goes first).
 *
 * @example
 * ```ts
 * metadataUrlOf('https://auth.example/tenant'); // 'https://auth.example/.well-known/oauth-authorization-server/tenant'
 * ```
 */
export function metadataUrlOf(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

function optionalUrl(meta: Record<string, unknown>, name: string): string | undefined {
  const value = meta[name];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw OAuthError.temporarilyUnavailable('The authorization server metadata is invalid', {
      cause: new Error(`discovery: ${name} is not a URL`),
    });
  }
  return value;
}

/**
 * Fetches and checks the authorization server metadata.
 *
 * @example
 * ```ts
 * const endpoints = await discoverEndpoints({ issuer: 'https://auth.example', fetch, timeoutMs: 5000 });
 * endpoints.jwksUri; // 'https://auth.example/jwks'
 * ```
 */
export async function discoverEndpoints(options: DiscoveryOptions): Promise<VerifierEndpoints> {
  const url = metadataUrlOf(options.issuer);
  let meta: unknown;
  try {
    const response = await options.fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (!response.ok) {
      throw new Error(`discovery: ${url} answered ${response.status}`);
    }
    meta = await response.json();
  } catch (error) {
    throw OAuthError.temporarilyUnavailable('The authorization server is unavailable', { cause: error });
  }
  if (typeof meta !== 'object' || meta === null) {
    throw OAuthError.temporarilyUnavailable('The authorization server metadata is invalid');
  }
  const record = meta as Record<string, unknown>;
  if (record.issuer !== options.issuer) {
    throw OAuthError.temporarilyUnavailable('The authorization server metadata names another issuer', {
      cause: new Error(`discovery: issuer ${String(record.issuer)} is not ${options.issuer}`),
    });
  }
  const jwksUri = optionalUrl(record, 'jwks_uri');
  if (jwksUri === undefined) {
    throw OAuthError.temporarilyUnavailable('The authorization server metadata has no jwks_uri');
  }
  return {
    jwksUri,
    introspectionEndpoint: optionalUrl(record, 'introspection_endpoint'),
    revocationStreamEndpoint: optionalUrl(record, 'revocation_stream_endpoint'),
  };
}
