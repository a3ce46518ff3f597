/**
 * API-key anomalies (Tessera's docs/api-keys.md, "Anomalies"): with `apiKeyContext`, the verifier
 * tells Tessera where each API key was used — the caller's address (`client_ip`) and the endpoint,
 * a route pattern (`endpoint`, e.g. `GET /orders/:id`) — so the key's own usage profile can judge a
 * new network, country or endpoint, or a rate beyond its own, and its policy can refuse the use.
 * Such answers are not cached: each use of a key reaches Tessera, so every one is judged.
 *
 * By default the address and the route come from the adapters' request view (`clientIp`, `route`:
 * Fastify's `request.ip` and route pattern, Express's `req.ip` and `req.route`, Hono's route path,
 * node:http's socket address). Without a route no endpoint is sent: a path with ids in it would make
 * every id a new endpoint. Values Tessera would refuse are left out rather than sent.
 */
import type { RequestView } from './bearer.js';
import type { VerifyInput } from './verify-input.js';

/**
 * The `apiKeyContext` option of `createVerifier`: `true` for the defaults, or your own readers.
 *
 * @example
 * ```ts
 * createVerifier({ issuer, audience, client, apiKeyContext: { clientIp: (req) => req instanceof Request ? undefined : req.header('x-real-ip') } });
 * ```
 */
export interface ApiKeyContextOptions {
  /** The caller's address. Default: the request view's `clientIp`. */
  clientIp?: (request: Request | RequestView) => string | undefined;
  /** The endpoint, `METHOD /route/:pattern`. Default: the method and the view's `route`, if any. */
  endpoint?: (request: Request | RequestView) => string | undefined;
}

/**
 * What is sent with an API key's introspection (`client_ip`, `endpoint`).
 *
 * @example
 * ```ts
 * const context: ApiKeyUseContext = { clientIp: '203.0.113.7', endpoint: 'GET /orders/:id' };
 * ```
 */
export interface ApiKeyUseContext {
  clientIp?: string;
  endpoint?: string;
}

/** Tessera's own checks (an IP address; a method, a space and a path of visible ASCII). */
const IP = /^[0-9A-Fa-f:.]{2,45}$/;
const ENDPOINT = /^[A-Z]{1,16} \/[\x21-\x7e]{0,255}$/;

function isView(input: Request | RequestView): input is RequestView {
  return typeof Request === 'undefined' || !(input instanceof Request);
}

/**
 * The reader of a request's API-key use context.
 *
 * @example
 * ```ts
 * const contextOf = createApiKeyContext(true);
 * contextOf(requestViewOfFastify(request)); // { clientIp: '203.0.113.7', endpoint: 'GET /orders/:id' }
 * ```
 */
export function createApiKeyContext(
  option: true | ApiKeyContextOptions,
): (input: VerifyInput) => ApiKeyUseContext | undefined {
  const options = option === true ? {} : option;
  const clientIpOf =
    options.clientIp ??
    ((request: Request | RequestView) => (isView(request) ? request.clientIp : undefined));
  const endpointOf =
    options.endpoint ??
    ((request: Request | RequestView) => {
      const route = isView(request) ? request.route : undefined;
      return route === undefined ? undefined : `${(request.method ?? 'GET').toUpperCase()} ${route}`;
    });
  return (input) => {
    if (typeof input === 'string' || input === undefined) {
      return undefined;
    }
    const clientIp = clientIpOf(input);
    const endpoint = endpointOf(input);
    return {
      ...(clientIp !== undefined && IP.test(clientIp) ? { clientIp } : {}),
      ...(endpoint !== undefined && ENDPOINT.test(endpoint) ? { endpoint } : {}),
    };
  };
}
