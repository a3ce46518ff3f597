/**
 * Where the issuer's endpoints are: from the options when they name the JWKS, else from the
 * discovery document, fetched once. A failed discovery is not remembered, so the next call retries.
 */
import { discoverEndpoints, type VerifierEndpoints } from './discovery.js';

/**
 * What {@link createEndpointResolver} needs.
 *
 * @example
 * ```ts
 * const deps: EndpointResolverDeps = { issuer: 'https://auth.example', endpoints: undefined, fetch, timeoutMs: 5000 };
 * ```
 */
export interface EndpointResolverDeps {
  issuer: string;
  /** Endpoints given in the options; with `jwksUri` set, discovery is skipped. */
  endpoints: Partial<VerifierEndpoints> | undefined;
  fetch: typeof fetch;
  timeoutMs: number;
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * The resolver.
 *
 * @example
 * ```ts
 * const { jwksUri } = await resolver.endpoints();
 * resolver.state(); // 'ready'
 * ```
 */
export interface EndpointResolver {
  endpoints(): Promise<VerifierEndpoints>;
  /** How the last discovery went. */
  state(): 'pending' | 'ready' | 'failed';
}

/**
 * Creates the resolver; nothing is fetched until `endpoints()` is called.
 *
 * @example
 * ```ts
 * const resolver = createEndpointResolver({ issuer: 'https://auth.example', endpoints: undefined, fetch, timeoutMs: 5000 });
 * ```
 */
export function createEndpointResolver(deps: EndpointResolverDeps): EndpointResolver {
  let discoveryState: 'pending' | 'ready' | 'failed' = 'pending';
  let discovered: Promise<VerifierEndpoints> | undefined;
  function endpoints(): Promise<VerifierEndpoints> {
    if (discovered === undefined) {
      const given = deps.endpoints;
      const pending =
        given?.jwksUri !== undefined
          ? Promise.resolve({
              jwksUri: given.jwksUri,
              introspectionEndpoint: given.introspectionEndpoint,
              revocationStreamEndpoint: given.revocationStreamEndpoint,
            })
          : discoverEndpoints({ issuer: deps.issuer, fetch: deps.fetch, timeoutMs: deps.timeoutMs }).then(
              (found) => ({
                ...found,
                ...given,
              }),
            );
      discovered = pending;
      pending.then(
        () => {
          discoveryState = 'ready';
        },
        (error: unknown) => {
          discoveryState = 'failed';
          // Retry on the next call rather than remember the failure.
          if (discovered === pending) {
            discovered = undefined;
          }
          deps.onError?.(error);
        },
      );
    }
    return discovered;
  }
  return { endpoints, state: () => discoveryState };
}
