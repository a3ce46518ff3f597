/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): the JSON document an API serves at
 * `/.well-known/oauth-protected-resource` (plus the resource's path, §3.1) saying which
 * authorization servers issue its tokens, the scopes it knows and how it takes a bearer token.
 * A client that meets the API first (an MCP client, an agent) follows the `resource_metadata`
 * URL in the API's `WWW-Authenticate` challenge (§5.1) to the document, then to Tessera.
 */

/**
 * What the document says (RFC 9728 §2; camelCase here, the RFC's names on the wire).
 *
 * @example
 * ```ts
 * const metadata: ResourceMetadataOptions = {
 *   resource: 'https://api.example.com',
 *   authorizationServers: ['https://auth.example.com'],
 *   scopesSupported: ['cookies:read', 'cookies:eat'],
 * };
 * ```
 */
export interface ResourceMetadataOptions {
  /** The resource identifier (RFC 9728 §2 `resource`): an https URL without a fragment. */
  resource: string;
  /** Issuer identifiers of the authorization servers whose tokens the API accepts. */
  authorizationServers: readonly string[];
  scopesSupported?: readonly string[];
  /** How a token may be sent (RFC 6750 §2): default `['header']`. */
  bearerMethodsSupported?: readonly ('header' | 'body' | 'query')[];
  resourceName?: string;
  resourceDocumentation?: string;
  /** Whether tokens must be DPoP-bound (RFC 9449); omitted when undefined. */
  dpopBoundAccessTokensRequired?: boolean;
}

/** The RFC 9728 §2 document (wire names). */
export type ResourceMetadata = Record<string, unknown>;

/**
 * The document's URL for a resource (RFC 9728 §3.1): the well-known path is inserted between the
 * host and the resource's own path.
 *
 * @example
 * ```ts
 * resourceMetadataUrl('https://api.example.com/v1');
 * // 'https://api.example.com/.well-known/oauth-protected-resource/v1'
 * ```
 */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  if (url.hash !== '') {
    throw new TypeError('resourceMetadataUrl: the resource must not have a fragment (RFC 9728 §1.2)');
  }
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}/.well-known/oauth-protected-resource${path}${url.search}`;
}

/**
 * The RFC 9728 §2 document. Throws a TypeError for a resource or issuer that is not a URL.
 *
 * @example
 * ```ts
 * const document = resourceMetadata({ resource: 'https://api.example.com', authorizationServers: ['https://auth.example.com'] });
 * ```
 */
export function resourceMetadata(options: ResourceMetadataOptions): ResourceMetadata {
  if (!URL.canParse(options.resource) || new URL(options.resource).hash !== '') {
    throw new TypeError('resourceMetadata: resource must be a URL without a fragment');
  }
  if (options.authorizationServers.some((issuer) => !URL.canParse(issuer))) {
    throw new TypeError('resourceMetadata: authorizationServers must be issuer URLs');
  }
  return {
    resource: options.resource,
    authorization_servers: [...options.authorizationServers],
    bearer_methods_supported: [...(options.bearerMethodsSupported ?? ['header'])],
    ...(options.scopesSupported === undefined ? {} : { scopes_supported: [...options.scopesSupported] }),
    ...(options.resourceName === undefined ? {} : { resource_name: options.resourceName }),
    ...(options.resourceDocumentation === undefined
      ? {}
      : { resource_documentation: options.resourceDocumentation }),
    ...(options.dpopBoundAccessTokensRequired === undefined
      ? {}
      : { dpop_bound_access_tokens_required: options.dpopBoundAccessTokensRequired }),
  };
}

/**
 * The path part of the document's URL, for mounting a route (`/.well-known/oauth-protected-resource…`).
 *
 * @example
 * ```ts
 * resourceMetadataPath('https://api.example.com'); // '/.well-known/oauth-protected-resource'
 * ```
 */
export function resourceMetadataPath(resource: string): string {
  const url = new URL(resourceMetadataUrl(resource));
  return url.pathname;
}
