/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): a `client_id` that
 * is an HTTPS URL names a JSON document holding the client's metadata (RFC 7591 §2 names).
 *
 * - §3: the URL is https, has a path, no fragment, no credentials and no dot segments.
 * - §4.1: the document is fetched with the bounded, address-checked fetch of `jwks_uri` (size,
 *   time, no redirects, SSRF guards); its `client_id` must equal the URL (simple string
 *   comparison); no shared secret: `token_endpoint_auth_method` is `none` (default) or
 *   `private_key_jwt` (with `jwks` or `jwks_uri`), and `client_secret` must be absent.
 * - redirect URIs follow the rules for admin-created clients (exact, https or loopback/native).
 * - §4.4 caching: kept for the response's `Cache-Control: max-age` (no-store/no-cache: the
 *   shortest time), bounded by `clients.resolutionTtl`.
 * The client gets what the unregistered-client policy allows, within the grant types it declares.
 */
import type { Clock } from '../../clock.js';
import type { JwksFetch } from '../client-auth/jwks-uri-fetch.js';
import type { ClientResolver } from '../client-registry.js';
import { findJwksProblem, isPlainObject } from '../clients/jwks.js';
import { findJwksUriProblem, findRedirectUriProblem } from '../clients/redirect-uri.js';
import { type UnregisteredClientPolicy, unregisteredClient } from './policy.js';

export interface MetadataDocumentResolverDeps {
  /** `clients.metadataDocuments`: off resolves nothing. */
  enabled: boolean;
  policy: UnregisteredClientPolicy;
  clock: Clock;
  fetch: JwksFetch;
  /** Longest a document is kept (milliseconds), whatever its Cache-Control says. */
  maxTtlMs: number;
  /** Redirect URI and jwks_uri rules, as for admin-created clients. */
  rules: { dev: boolean; allowPrivateJwksUri: boolean };
  /** Why a document was refused (for the log; never shown to the client). */
  onRefused?: (clientId: string, reason: string) => void;
}

/** Shortest time a fetched document is kept, so a flood of requests is not a flood of fetches. */
const MIN_TTL_MS = 5_000;
const MAX_URL_LENGTH = 2000;
const MAX_NAME_LENGTH = 200;
const SHARED_SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);

/** draft §3: the shape a client_id URL must have; undefined when it has it. */
export function findClientIdUrlProblem(id: string): string | undefined {
  if (id.length > MAX_URL_LENGTH || !/^https:\/\/[\x21-\x7E]+$/.test(id)) {
    return 'must be an https URL of printable ASCII';
  }
  let url: URL;
  try {
    url = new URL(id);
  } catch {
    return 'is not a URL';
  }
  if (url.href !== id) {
    return 'must be in normal form';
  }
  if (url.pathname === '/' || url.hash !== '' || url.username !== '' || url.password !== '') {
    return 'must have a path and no fragment or credentials';
  }
  if (/\/\.\.?(\/|$)/.test(id.slice(url.origin.length))) {
    return 'must not hold . or .. path segments';
  }
  return undefined;
}

/** Milliseconds a response may be kept per its Cache-Control (RFC 9111 §5.2.2), within bounds. */
export function cacheTtlOf(cacheControl: string | null, maxTtlMs: number): number {
  const directives = (cacheControl ?? '').toLowerCase();
  if (/(^|[\s,])(no-store|no-cache)([\s,=]|$)/.test(directives)) {
    return MIN_TTL_MS;
  }
  const maxAge = /(^|[\s,])max-age=(\d+)/.exec(directives);
  const ttl = maxAge === null ? maxTtlMs : Number(maxAge[2]) * 1000;
  return Math.min(Math.max(ttl, MIN_TTL_MS), Math.max(maxTtlMs, MIN_TTL_MS));
}

function stringArray(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.length <= 20 && value.every((item) => typeof item === 'string')
    ? (value as string[])
    : undefined;
}

export function createMetadataDocumentResolver(deps: MetadataDocumentResolverDeps): ClientResolver {
  function refuse(id: string, reason: string): undefined {
    deps.onRefused?.(id, reason);
    return undefined;
  }

  return {
    matches(id) {
      return deps.enabled && id.startsWith('https://') && findClientIdUrlProblem(id) === undefined;
    },
    async resolve(id) {
      let response: Response;
      try {
        response = await deps.fetch(id, { headers: { accept: 'application/json' } });
      } catch (error) {
        return refuse(id, `fetch failed: ${(error as Error).message}`);
      }
      if (response.status !== 200) {
        return refuse(id, `answered HTTP ${response.status}`);
      }
      let document: unknown;
      try {
        document = JSON.parse(await response.text());
      } catch {
        return refuse(id, 'is not JSON');
      }
      if (!isPlainObject(document)) {
        return refuse(id, 'is not a JSON object');
      }
      if (document.client_id !== id) {
        return refuse(id, 'client_id differs from the document URL (draft §4.1)');
      }
      if (Object.hasOwn(document, 'client_secret') || Object.hasOwn(document, 'client_secret_expires_at')) {
        return refuse(id, 'holds a client_secret (draft §4.1)');
      }
      const method = document.token_endpoint_auth_method ?? 'none';
      if (method !== 'none' && method !== 'private_key_jwt') {
        return refuse(
          id,
          SHARED_SECRET_METHODS.has(String(method))
            ? 'names a shared-secret token_endpoint_auth_method (draft §4.1)'
            : 'names an unsupported token_endpoint_auth_method',
        );
      }
      const redirectUris = stringArray(document.redirect_uris ?? []);
      if (redirectUris === undefined) {
        return refuse(id, 'redirect_uris is not an array of at most 20 strings');
      }
      for (const uri of redirectUris) {
        const problem = findRedirectUriProblem(uri, deps.rules);
        if (problem !== undefined) {
          return refuse(id, `redirect_uris ${uri.slice(0, 100)} ${problem}`);
        }
      }
      const grantTypes = stringArray(document.grant_types ?? ['authorization_code']);
      if (grantTypes === undefined) {
        return refuse(id, 'grant_types is not an array of strings');
      }
      let jwks: { keys: Record<string, unknown>[] } | null = null;
      let jwksUri: string | null = null;
      if (document.jwks !== undefined) {
        const problem = findJwksProblem(document.jwks);
        if (problem !== undefined) {
          return refuse(id, `jwks ${problem.message}`);
        }
        jwks = document.jwks as { keys: Record<string, unknown>[] };
      }
      if (typeof document.jwks_uri === 'string') {
        const problem = findJwksUriProblem(document.jwks_uri, deps.rules);
        if (problem !== undefined) {
          return refuse(id, `jwks_uri ${problem}`);
        }
        jwksUri = document.jwks_uri;
      }
      if (method === 'private_key_jwt' && jwks === null && jwksUri === null) {
        return refuse(id, 'private_key_jwt without jwks or jwks_uri');
      }
      const name =
        typeof document.client_name === 'string' && document.client_name.trim().length > 0
          ? document.client_name.trim().slice(0, MAX_NAME_LENGTH)
          : new URL(id).host;
      const client = unregisteredClient(
        {
          id,
          name,
          source: 'metadata_document',
          tokenEndpointAuthMethod: method,
          jwks,
          jwksUri,
          redirectUris,
          grantTypes,
        },
        deps.policy,
        deps.clock.now(),
      );
      // Its authorization codes, consents and refresh tokens need a row to refer to.
      return {
        client,
        ttlMs: cacheTtlOf(response.headers.get('cache-control'), deps.maxTtlMs),
        anchor: true,
      };
    },
  };
}
