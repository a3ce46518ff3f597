/**
 * Authorization server metadata (RFC 8414 §3, OpenID Connect Discovery 1.0 §4), fetched once per
 * client through oauth4webapi, which also checks that the document's `issuer` is exactly the
 * configured one (RFC 8414 §3.3). A failed fetch is not cached: the next call tries again.
 */
import * as oauth from 'oauth4webapi';
import { TesseraClientError } from './client-error.js';
import type { HttpOptions } from './http-options.js';

/**
 * Which well-known document to read: `oidc` (`/.well-known/openid-configuration`) or `oauth2`
 * (RFC 8414 `/.well-known/oauth-authorization-server`).
 *
 * @example
 * ```ts
 * const algorithm: DiscoveryAlgorithm = 'oauth2';
 * ```
 */
export type DiscoveryAlgorithm = 'oidc' | 'oauth2';

/**
 * Lazily discovered metadata of one issuer.
 *
 * @example
 * ```ts
 * const metadata = createMetadataSource(new URL(issuer), 'oauth2', {});
 * const as = await metadata.get();
 * as.token_endpoint; // 'https://auth.example/token'
 * ```
 */
export interface MetadataSource {
  get(): Promise<oauth.AuthorizationServer>;
}

/**
 * Creates a {@link MetadataSource} that fetches once, shares the fetch among concurrent callers
 * and keeps the result.
 *
 * @example
 * ```ts
 * const metadata = createMetadataSource(new URL('https://auth.example'), 'oidc', {});
 * const { authorization_endpoint } = await metadata.get();
 * ```
 */
export function createMetadataSource(
  issuer: URL,
  algorithm: DiscoveryAlgorithm,
  http: HttpOptions,
): MetadataSource {
  let pending: Promise<oauth.AuthorizationServer> | undefined;
  async function discover(): Promise<oauth.AuthorizationServer> {
    let response: Response;
    try {
      response = await oauth.discoveryRequest(issuer, { ...http, algorithm });
    } catch (error) {
      throw new TesseraClientError('network_error', 'The issuer metadata could not be fetched', {
        cause: error,
      });
    }
    try {
      return await oauth.processDiscoveryResponse(issuer, response);
    } catch (error) {
      throw new TesseraClientError('discovery_failed', 'The issuer metadata is invalid', {
        cause: error,
        status: response.status,
      });
    }
  }
  return {
    get() {
      pending ??= discover().catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
      return pending;
    },
  };
}

/**
 * Returns an endpoint URL from the metadata or throws `discovery_failed` naming what is missing.
 *
 * @example
 * ```ts
 * const revoke = requireEndpoint(as, 'revocation_endpoint');
 * ```
 */
export function requireEndpoint(
  as: oauth.AuthorizationServer,
  name: keyof oauth.AuthorizationServer,
): string {
  const value = as[name];
  if (typeof value !== 'string') {
    throw new TesseraClientError('discovery_failed', `The issuer metadata has no ${String(name)}`);
  }
  return value;
}
