/**
 * The one client authenticator (RFC 6749 §2.3): picks the method the request used, refuses a request
 * that uses more than one (§2.3: "MUST NOT use more than one authentication method in each request"
 * → `invalid_request`), and answers every failure with the same `invalid_client` (401).
 *
 * Method rules:
 * - `client_secret_basic` and `client_secret_post` are accepted for a client registered with either
 *   (both carry the same secret; RFC 6749 §2.3.1 requires Basic support and allows the body);
 * - `private_key_jwt` is accepted for a client with a registered `jwks` or `jwks_uri`;
 * - no credentials with a `client_id` → `none`, only for a client registered as public (`none`);
 *   each endpoint then decides whether a public client may use it. An empty secret is no secret:
 *   `client_secret=` in the body counts as omitted (RFC 6749 §3.1), and HTTP Basic with an empty
 *   password (`base64(client_id ":")`, as oidc-agent sends for public clients) names the client the
 *   way a lone `client_id` does, so both are `none` and only a public client passes.
 */
import { OAuthError } from '@tessera/protocol';
import type { Clock } from '../../clock.js';
import type { ClientRecord, ReplayStore } from '../../store/ports.js';
import { NOT_CACHED } from '../client-registry.js';
import { createRegistry } from '../registry.js';
import { isWellFormedClientSecret, matchesClientSecret } from './client-secret.js';
import {
  type ClientCredentials,
  isBasicAuthorization,
  parseBasicCredentials,
} from './client-secret-basic.js';
import { parsePostCredentials } from './client-secret-post.js';
import type { ClientAuthBackoff } from './failure-backoff.js';
import type { AuthenticateClient, AuthenticatedClient, ClientAuthInput } from './index.js';
import { singleParam } from './params.js';
import { createPrivateKeyJwtAuthenticator, type RemoteJwksOptions } from './private-key-jwt.js';

export interface ClientAuthenticatorDeps {
  clients: {
    get(id: string): Promise<ClientRecord | undefined>;
    /** The client from memory without a promise, or NOT_CACHED (client-registry.ts). */
    peek?(id: string): ClientRecord | undefined | typeof NOT_CACHED;
  };
  replay: Pick<ReplayStore, 'markOnce'>;
  clock: Clock;
  issuer: string;
  /** Absolute token endpoint URL, accepted as a client assertion `aud` at every endpoint. */
  tokenEndpoint: string;
  remoteJwks?: RemoteJwksOptions;
  /** Backoff on repeated failed secret checks per client id. */
  backoff?: ClientAuthBackoff;
}

const SECRET_METHODS: ReadonlySet<string> = new Set(['client_secret_basic', 'client_secret_post']);

/** The one public answer to a failed secret check, whatever the reason (RFC 6749 §5.2). */
function failed(cause: string): OAuthError {
  return OAuthError.invalidClient('Client authentication failed', { cause });
}

/** `none` (RFC 7591 §2): a client named without a secret passes only if it is registered as public. */
async function authenticatePublic(
  deps: Pick<ClientAuthenticatorDeps, 'clients'>,
  clientId: string,
): Promise<AuthenticatedClient> {
  const client = await deps.clients.get(clientId);
  if (client === undefined || client.disabled || client.tokenEndpointAuthMethod !== 'none') {
    throw OAuthError.invalidClient('Client authentication required', {
      cause: client === undefined ? 'unknown client' : 'confidential client sent no credentials',
    });
  }
  return { client, method: 'none' };
}

/** One way a client proves who it is (RFC 6749 §2.3), under its RFC 7591 §2 method name. */
export interface ClientAuthMethod {
  name: Exclude<AuthenticatedClient['method'], 'none'>;
  /** True when the request carries this method's credentials, valid or not. */
  isPresent(input: ClientAuthInput): boolean;
  /** The client, or a promise of it when the check must wait; a refusal is thrown or rejected. */
  authenticate(input: ClientAuthInput): AuthenticatedClient | Promise<AuthenticatedClient>;
}

/** The client-authentication methods by name, built once and frozen; discovery advertises its keys. */
export type ClientAuthMethods = ReadonlyMap<string, ClientAuthMethod>;

export function createClientAuthMethods(deps: ClientAuthenticatorDeps): ClientAuthMethods {
  const privateKeyJwt = createPrivateKeyJwtAuthenticator({
    clients: deps.clients,
    replay: deps.replay,
    clock: deps.clock,
    audiences: [deps.issuer, deps.tokenEndpoint],
    ...(deps.remoteJwks === undefined ? {} : { remoteJwks: deps.remoteJwks }),
  });

  /**
   * The secret check. When the registry holds the client (or remembers the id as unknown) the whole
   * check runs without a promise and returns the client (or throws); only a load, the backoff's
   * store write after a failure, or its clearing after earlier failures make it a promise. Either
   * way it is the one sequence of checks below.
   */
  function authenticateWithSecret(
    credentials: ClientCredentials,
    method: 'client_secret_basic' | 'client_secret_post',
  ): AuthenticatedClient | Promise<AuthenticatedClient> {
    // DESIGN §3: a secret that is not even well-formed fails before any lookup.
    if (!isWellFormedClientSecret(credentials.secret)) {
      throw failed('malformed client secret');
    }
    const known = deps.clients.peek?.(credentials.clientId) ?? NOT_CACHED;
    if (known !== NOT_CACHED) {
      return checkSecret(known, credentials, method);
    }
    return deps.clients.get(credentials.clientId).then((client) => checkSecret(client, credentials, method));
  }

  function checkSecret(
    client: ClientRecord | undefined,
    credentials: ClientCredentials,
    method: 'client_secret_basic' | 'client_secret_post',
  ): AuthenticatedClient | Promise<AuthenticatedClient> {
    // Always hash and compare, even for an unknown client, so both take the same time.
    const matched = matchesClientSecret(client?.secrets, credentials.secret, deps.clock.now());
    if (client === undefined) {
      throw failed('unknown client');
    }
    deps.backoff?.assertAllowed(client.id);
    if (!matched) {
      return refuseWrongSecret(client.id);
    }
    const forgetting = deps.backoff?.succeeded(client.id);
    if (forgetting !== undefined) {
      return forgetting.then(() => acceptSecretClient(client, method));
    }
    return acceptSecretClient(client, method);
  }

  async function refuseWrongSecret(clientId: string): Promise<never> {
    await deps.backoff?.failed(clientId);
    throw failed('wrong or expired client secret');
  }

  /** The checks after a matching secret: the client may use a secret at all. */
  function acceptSecretClient(
    client: ClientRecord,
    method: 'client_secret_basic' | 'client_secret_post',
  ): AuthenticatedClient {
    if (client.disabled) {
      throw failed('client disabled');
    }
    if (!SECRET_METHODS.has(client.tokenEndpointAuthMethod)) {
      throw failed(`client is registered for ${client.tokenEndpointAuthMethod}`);
    }
    return { client, method };
  }

  const methods: ClientAuthMethod[] = [
    {
      name: 'client_secret_basic',
      isPresent: ({ authorization }) => authorization !== undefined && authorization.length > 0,
      // Not async: with the client in memory the check answers without a promise.
      authenticate({ authorization = '', body }) {
        if (!isBasicAuthorization(authorization)) {
          throw OAuthError.invalidClient(
            'Unsupported Authorization scheme: use HTTP Basic (RFC 6749 §2.3.1)',
          );
        }
        const credentials = parseBasicCredentials(authorization);
        const bodyClientId = singleParam(body, 'client_id');
        if (bodyClientId !== undefined && bodyClientId !== credentials.clientId) {
          throw OAuthError.invalidRequest('client_id in the body does not match the HTTP Basic client');
        }
        return credentials.secret === ''
          ? authenticatePublic(deps, credentials.clientId)
          : authenticateWithSecret(credentials, 'client_secret_basic');
      },
    },
    {
      name: 'client_secret_post',
      isPresent: ({ body }) => singleParam(body, 'client_secret') !== undefined,
      authenticate: ({ body }) => authenticateWithSecret(parsePostCredentials(body), 'client_secret_post'),
    },
    {
      name: 'private_key_jwt',
      isPresent: ({ body }) =>
        Object.hasOwn(body, 'client_assertion') || Object.hasOwn(body, 'client_assertion_type'),
      authenticate: async ({ body, endpoint }) => ({
        client: await privateKeyJwt({ body, endpoint }),
        method: 'private_key_jwt',
      }),
    },
  ];
  return createRegistry(methods, (method) => method.name, 'client authentication methods');
}

/**
 * Dispatches each request to the one method whose credentials it carries; without any, a
 * `client_id` alone names a public client (`none`).
 */
export function createClientAuthenticator(
  deps: ClientAuthenticatorDeps,
  methods: ClientAuthMethods = createClientAuthMethods(deps),
): AuthenticateClient {
  const all = [...methods.values()];
  /** The one method whose credentials `input` carries, undefined for none; throws for several. */
  function methodOf(input: ClientAuthInput): ClientAuthMethod | undefined {
    let found: ClientAuthMethod | undefined;
    for (const method of all) {
      if (method.isPresent(input)) {
        if (found !== undefined) {
          throw OAuthError.invalidRequest(
            'Use exactly one client authentication method per request (RFC 6749 §2.3)',
          );
        }
        found = method;
      }
    }
    return found;
  }
  // Not async: the method's answer (a client in memory, or a promise) is handed on as it is.
  return function authenticateClient(
    input: ClientAuthInput,
  ): AuthenticatedClient | Promise<AuthenticatedClient> {
    const method = methodOf(input);
    if (method !== undefined) {
      return method.authenticate(input);
    }
    const clientId = singleParam(input.body, 'client_id');
    if (clientId === undefined) {
      throw OAuthError.invalidClient('Client authentication required', { cause: 'no credentials' });
    }
    return authenticatePublic(deps, clientId);
  };
}
