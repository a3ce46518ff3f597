/**
 * Opaque access tokens (`tsr_at_…`) and API keys (`tsr_key_…`) cannot be checked locally: the
 * verifier asks the issuer's RFC 7662 introspection endpoint, authenticating as a client with
 * `client_secret_basic` (RFC 7662 §2.1, RFC 6749 §2.3.1). The verifier caches the answer for at
 * most a configured time and never past the token's `exp`; revocations from the stream evict it
 * sooner.
 */
import { type IntrospectionResponse, OAuthError } from '@tessera/protocol';
import type { ApiKeyUseContext } from './api-key-context.js';
import { basicAuthorization } from './basic-authorization.js';

/**
 * The client the API server authenticates as (it needs the `introspect` permission at Tessera).
 *
 * @example
 * ```ts
 * const client: ClientCredentials = { clientId: 'cli_api', clientSecret: process.env.API_CLIENT_SECRET ?? '' };
 * ```
 */
export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface IntrospectorOptions {
  endpoint: () => Promise<string | undefined>;
  client: ClientCredentials | undefined;
  fetch: typeof fetch;
  timeoutMs: number;
}

/**
 * Calls the introspection endpoint.
 *
 * @example
 * ```ts
 * const introspector = createIntrospector({ endpoint: async () => url, client, fetch, timeoutMs: 5000 });
 * const answer = await introspector.introspect('tsr_at_…', 'access_token');
 * ```
 */
export interface Introspector {
  /** The RFC 7662 §2.2 response; throws `temporarily_unavailable` when the server cannot answer. */
  introspect(
    token: string,
    hint: 'access_token' | undefined,
    context?: ApiKeyUseContext,
  ): Promise<IntrospectionResponse>;
}

/**
 * Creates the introspector.
 *
 * @example
 * ```ts
 * createIntrospector({
 *   endpoint: async () => 'https://auth.example/introspect',
 *   client: { clientId: 'cli_api', clientSecret: 'tsr_cs_…' },
 *   fetch,
 *   timeoutMs: 5000,
 * });
 * ```
 */
export function createIntrospector(options: IntrospectorOptions): Introspector {
  return {
    async introspect(token, hint, context) {
      const { client } = options;
      if (client === undefined) {
        throw OAuthError.invalidToken('This API does not accept opaque tokens or API keys', {
          cause: new Error('verifier: no client credentials for introspection'),
        });
      }
      const endpoint = await options.endpoint();
      if (endpoint === undefined) {
        throw OAuthError.invalidToken('This API does not accept opaque tokens or API keys', {
          cause: new Error('verifier: the issuer advertises no introspection_endpoint'),
        });
      }
      const body = new URLSearchParams({ token });
      if (hint !== undefined) {
        body.set('token_type_hint', hint);
      }
      // RFC 7662 §2.1 allows more parameters: where an API key was used, for its anomaly policy.
      if (context?.clientIp !== undefined) {
        body.set('client_ip', context.clientIp);
      }
      if (context?.endpoint !== undefined) {
        body.set('endpoint', context.endpoint);
      }
      let response: Response;
      let answer: unknown;
      try {
        response = await options.fetch(endpoint, {
          method: 'POST',
          headers: {
            authorization: basicAuthorization(client),
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
          },
          body: body.toString(),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        answer = await response.json();
      } catch (error) {
        throw OAuthError.temporarilyUnavailable('The authorization server is unavailable', { cause: error });
      }
      if (
        !response.ok ||
        typeof answer !== 'object' ||
        answer === null ||
        typeof (answer as { active?: unknown }).active !== 'boolean'
      ) {
        throw OAuthError.temporarilyUnavailable('The authorization server could not introspect the token', {
          cause: new Error(
            `introspection answered ${response.status}: ${JSON.stringify(answer).slice(0, 200)}`,
          ),
        });
      }
      return answer as IntrospectionResponse;
    },
  };
}
