/**
 * `POST /api-keys/verify`: a client holding the `api_keys:verify` permission asks whether an API key
 * is valid. The body is JSON `{"key": "tsr_key_…"}` or a form `key=tsr_key_…`; the client
 * authenticates as at the token endpoint (RFC 6749 §2.3: Basic, or client_id/client_secret in the
 * body, or private_key_jwt).
 *
 * A key bound to a DPoP key (`--bind-jkt`, RFC 9449 §7 applied to API keys) is valid only with the
 * proof the API received: `dpop` (the proof JWT), `htm` and `htu` (the method and URL of the API
 * request). The proof is checked as at the token endpoint (signature, `typ`, public `jwk`, `iat`
 * window, `jti` single use across nodes) with `ath` = SHA-256 of the key and its key thumbprint equal
 * to the key's `cnf.jkt`; without it, or with a bad one, the answer is 400 `invalid_dpop_proof`, so a
 * leaked key string alone verifies nowhere.
 *
 * The resource server may add `client_ip` and `endpoint` (key-use-context.ts) for the key's anomaly
 * policy: a `deny` policy answers `valid: false` with `code: anomaly`, a `disable` one disables the
 * key (docs/api-keys.md, "Anomalies"). Without them only the rate is judged.
 *
 * The answer is 200 with the verification, valid or not, and 429 with the same body when the key's
 * rate limit is used up. Keys with a rate limit carry `RateLimit-Policy` and `RateLimit`
 * (draft-ietf-httpapi-ratelimit-headers) and, on 429, `Retry-After` (RFC 9110 §10.2.3).
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticateClient, AuthenticatedClient } from '../../oauth/client-auth/index.js';
import type { DpopProofValidator } from '../../oauth/dpop/proof-validator.js';
import type { ClientRecord } from '../../store/ports.js';
import {
  API_KEYS_VERIFY_PERMISSION,
  type ApiKeyRateLimitState,
  type ApiKeyService,
  type ApiKeyVerification,
  isSharedAnswer,
} from '../../tokens/api-keys/index.js';
import type { FormBody } from '../plugins/form-body.js';
import { single } from '../plugins/form-body.js';
import { authenticateRequest } from '../plugins/oauth-post.js';
import { addRateLimitFields, type CallerLimit, checkHook } from '../plugins/rate-limit.js';
import { keyUseContextOf } from './key-use-context.js';

export const API_KEY_VERIFY_PATH = '/api-keys/verify';
/** The policy name in the RateLimit fields. */
const POLICY = 'api_key';

export interface ApiKeyVerifyRouteDeps {
  issuer: string;
  apiKeys: Pick<ApiKeyService, 'verify'>;
  authenticate: AuthenticateClient;
  /** Per caller: the authenticated client, else the address. */
  limit: CallerLimit;
  /** Checks the proofs of DPoP-bound keys (without server nonces: the proof was made for the API). */
  dpop: Pick<DpopProofValidator, 'validate'>;
}

/** The request as a form-like record: a form as parsed, or the string members of a JSON object. */
function paramsOf(request: FastifyRequest): FormBody {
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw OAuthError.invalidRequest('The body must be JSON {"key": "..."} or a form with key');
  }
  // A form as parseForm made it (a null-prototype record of strings and string lists: JSON bodies
  // are plain objects) is used as it is; only JSON is sifted.
  if (Object.getPrototypeOf(body) === null) {
    return body as FormBody;
  }
  const params: FormBody = Object.create(null) as FormBody;
  for (const [name, value] of Object.entries(body)) {
    if (
      typeof value === 'string' ||
      (Array.isArray(value) && value.every((item) => typeof item === 'string'))
    ) {
      params[name] = value;
    } else if (name === 'key' || name === 'client_ip' || name === 'endpoint') {
      throw OAuthError.invalidRequest(`${name} must be a string`);
    }
  }
  return params;
}

/** A bound key's proof: the one the API received, for the API request's method and URL (`htm`, `htu`). */
async function checkBoundKeyProof(
  dpop: ApiKeyVerifyRouteDeps['dpop'],
  jkt: string,
  key: string,
  params: FormBody,
): Promise<void> {
  const proof = single(params, 'dpop');
  if (proof === undefined) {
    throw OAuthError.invalidDpopProof(
      'The API key is DPoP-bound: send the DPoP proof the API received as dpop, with htm and htu',
    );
  }
  const method = single(params, 'htm');
  const url = single(params, 'htu');
  if (method === undefined || url === undefined) {
    throw OAuthError.invalidRequest('htm and htu (the method and URL of the API request) go with dpop');
  }
  const verified = await dpop.validate({ header: proof, method, url, accessToken: key });
  if (verified?.jkt !== jkt) {
    throw OAuthError.invalidDpopProof('The DPoP proof is not signed by the key this API key is bound to');
  }
}

/**
 * The JSON of an answer the key service reuses (a key without a rate limit answers the same whenever
 * it is valid), serialised once; any other answer is serialised per request as before.
 */
const serialised = new WeakMap<ApiKeyVerification, string>();

function bodyOf(result: ApiKeyVerification): ApiKeyVerification | string {
  if (!isSharedAnswer(result)) {
    return result;
  }
  let body = serialised.get(result);
  if (body === undefined) {
    body = JSON.stringify(result);
    serialised.set(result, body);
  }
  return body;
}

/** draft-ietf-httpapi-ratelimit-headers §4 and §5: the key's quota policy and what is left of it. */
function setRateLimitHeaders(reply: FastifyReply, state: ApiKeyRateLimitState): void {
  addRateLimitFields(reply, POLICY, state);
}

function callerOf({ client, method }: AuthenticatedClient, params: FormBody): Caller {
  if (method === 'none') {
    throw OAuthError.invalidClient('API-key verification requires client authentication');
  }
  return { client, params };
}

/** The verification, 200 valid or not; 429 with the same body when the key's rate limit is used up. */
function send(reply: FastifyReply, result: ApiKeyVerification): FastifyReply {
  if (result.rate_limit !== undefined && result.rate_limit !== null) {
    setRateLimitHeaders(reply, result.rate_limit);
  }
  if (result.code === 'rate_limited' && result.rate_limit !== undefined && result.rate_limit !== null) {
    reply.header('retry-after', String(result.rate_limit.reset));
    return reply.code(429).type('application/json; charset=utf-8').send(result);
  }
  return reply.code(200).type('application/json; charset=utf-8').send(bodyOf(result));
}

/** The authenticated caller and the request's parameters. */
interface Caller {
  client: ClientRecord;
  params: FormBody;
}

export function registerApiKeyVerifyRoute(app: FastifyInstance, deps: ApiKeyVerifyRouteDeps): void {
  const endpoint = deps.issuer + API_KEY_VERIFY_PATH;
  const screen = { onRequest: checkHook((request, reply) => deps.limit.screen(request, reply)) };

  /** RFC 6749 §2.3: the caller authenticates as a client (not `none`). */
  function identifyCaller(request: FastifyRequest): Caller | Promise<Caller> {
    const params = paramsOf(request);
    // RFC 6749 §2.3.1: client credentials in the URL are refused, as at every endpoint.
    const authenticated = authenticateRequest(request, deps.authenticate, params, endpoint);
    return authenticated instanceof Promise
      ? authenticated.then((answer) => callerOf(answer, params))
      : callerOf(authenticated, params);
  }

  function verifyFor(reply: FastifyReply, { client, params }: Caller) {
    if (!client.permissions.includes(API_KEYS_VERIFY_PERMISSION)) {
      throw OAuthError.accessDenied(`The client lacks the ${API_KEYS_VERIFY_PERMISSION} permission`);
    }
    const key = single(params, 'key');
    if (key === undefined) {
      throw OAuthError.invalidRequest('key is required');
    }
    const context = keyUseContextOf(params);
    const result = deps.apiKeys.verify(key, { actor: client.id, context });
    return result instanceof Promise
      ? result.then((answer) => answerWith(reply, answer, key, params))
      : answerWith(reply, result, key, params);
  }

  /** A bound key's proof first (a promise), else the answer at once. */
  function answerWith(reply: FastifyReply, result: ApiKeyVerification, key: string, params: FormBody) {
    if (result.valid && result.cnf !== undefined) {
      return checkBoundKeyProof(deps.dpop, result.cnf.jkt, key, params).then(() => send(reply, result));
    }
    return send(reply, result);
  }

  // Not async: with the caller and the key in memory (the common case) the answer is sent without
  // a promise; each step hands on a promise only when it has to wait (a load, a bound key's proof).
  // A refusal is thrown (Fastify answers it as from an async handler) or rejected.
  app.post(API_KEY_VERIFY_PATH, screen, function verifyApiKey(request, reply) {
    reply.header('cache-control', 'no-store');
    const caller = deps.limit.identify(
      request,
      reply,
      () => identifyCaller(request),
      (identified) => identified.client.id,
    );
    const sent =
      caller instanceof Promise
        ? caller.then((identified) => verifyFor(reply, identified))
        : verifyFor(reply, caller);
    // Fastify sends what a handler returns: a sent reply is not handed back, a promise is.
    return sent instanceof Promise ? sent : undefined;
  });
  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url: API_KEY_VERIFY_PATH,
    config: { refusesMethod: true },
    handler: async (_request, reply) => {
      reply.header('allow', 'POST');
      throw OAuthError.invalidRequest(`Use POST at ${API_KEY_VERIFY_PATH}`, { status: 405 });
    },
  });
}
