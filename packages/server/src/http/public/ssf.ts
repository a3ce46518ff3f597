/**
 * The Shared Signals Framework transmitter's endpoints (OpenID SSF 1.0; docs/risk.md, "Security
 * Event Tokens over the Shared Signals Framework"):
 *
 * - `GET /.well-known/ssf-configuration` (SSF 1.0 §7.1; with the issuer's path appended when it has
 *   one, §7.2): `spec_version`, `issuer`, `jwks_uri`, `delivery_methods_supported`
 *   (`urn:ietf:rfc:8936` only), `configuration_endpoint`, `authorization_schemes` (OAuth client
 *   authentication, RFC 6749 §2.3) and `default_subjects: "ALL"`. Nothing else is advertised.
 * - `GET /ssf/stream` (SSF 1.0 §8.1.1.2, read only): the caller's stream configuration, its stream
 *   created on first use; with `stream_id` one object, without it an array of the one stream.
 *   Streams are not created, changed or deleted through the API: holding the `ssf:receive`
 *   permission is what gives a client its stream (the operator grants it).
 * - `POST /ssf/poll` (RFC 8936 §2): `{ack, setErrs, maxEvents, returnImmediately}` →
 *   `{sets: {jti: SET}, moreAvailable}`. Without `returnImmediately` an empty poll waits up to
 *   `ssf.longPollWait` for a first event (§2.2 long polling; at most 1000 waiting per process,
 *   past which an empty poll answers at once).
 *
 * The stream and poll endpoints need HTTP Basic client authentication (RFC 6749 §2.3.1; 401
 * `invalid_client` without it) and the `ssf:receive` permission (403 `access_denied`). A malformed
 * poll body is 400 `invalid_request` (RFC 8936 §2.4 leaves the body of the error open).
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EventBus } from '../../events/bus.js';
import { isCaepRevocation, SSF_EVENTS_SUPPORTED } from '../../events/ssf-events.js';
import { isBasicAuthorization } from '../../oauth/client-auth/client-secret-basic.js';
import type { AuthenticateClient } from '../../oauth/client-auth/index.js';
import type { SsfStreamRecord } from '../../store/ports.js';
import type { SsfPollRequest, SsfTransmitter } from '../../tokens/ssf-transmitter.js';

export const SSF_CONFIGURATION_PATH = '/.well-known/ssf-configuration';
export const SSF_STREAM_PATH = '/ssf/stream';
export const SSF_POLL_PATH = '/ssf/poll';
export const SSF_PERMISSION = 'ssf:receive';
/** SSF 1.0 §6.1.2: the RFC 8936 poll delivery method. */
export const SSF_POLL_METHOD = 'urn:ietf:rfc:8936';

/** SETs per poll when `maxEvents` is absent, and the most one poll may ask for. */
const DEFAULT_MAX_EVENTS = 100;
const MAX_EVENTS = 1000;
/** Acknowledgements (`ack` plus `setErrs`) one poll may carry, and the longest `jti` accepted. */
const MAX_ACKS = 1000;
const MAX_JTI_LENGTH = 128;
const MAX_DESCRIPTION_LENGTH = 1024;
/** Long polls one process holds open at once; past this an empty poll answers at once. */
const MAX_WAITING = 1000;

export interface SsfRoutesDeps {
  issuer: string;
  authenticate: AuthenticateClient;
  transmitter: SsfTransmitter;
  bus: Pick<EventBus, 'subscribe'>;
  /** Milliseconds an empty long poll waits for an event (0: none). */
  longPollWaitMs: number;
}

export interface SsfRoutes {
  /** Ends every waiting long poll (shutdown). */
  closeAll(): void;
}

function isJti(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_JTI_LENGTH;
}

/** RFC 8936 §2.2: parses the poll request body, or throws `invalid_request`. */
export function parsePollRequest(body: unknown): SsfPollRequest & { returnImmediately: boolean } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw OAuthError.invalidRequest('The poll request body must be a JSON object (RFC 8936 §2.2)');
  }
  const {
    ack = [],
    setErrs = {},
    maxEvents = DEFAULT_MAX_EVENTS,
    returnImmediately = false,
  } = body as Record<string, unknown>;
  if (!Array.isArray(ack) || !ack.every(isJti)) {
    throw OAuthError.invalidRequest('"ack" must be an array of SET jti strings');
  }
  if (typeof setErrs !== 'object' || setErrs === null || Array.isArray(setErrs)) {
    throw OAuthError.invalidRequest('"setErrs" must be an object from SET jti to {"err", "description"}');
  }
  const errors = new Map<string, { err: string; description: string | undefined }>();
  for (const [jti, report] of Object.entries(setErrs)) {
    const { err, description } = (typeof report === 'object' && report !== null ? report : {}) as Record<
      string,
      unknown
    >;
    if (
      !isJti(jti) ||
      typeof err !== 'string' ||
      err.length === 0 ||
      err.length > 64 ||
      (description !== undefined &&
        (typeof description !== 'string' || description.length > MAX_DESCRIPTION_LENGTH))
    ) {
      throw OAuthError.invalidRequest('Each "setErrs" member must be {"err": code, "description": text}');
    }
    errors.set(jti, { err, description });
  }
  if (ack.length + errors.size > MAX_ACKS) {
    throw OAuthError.invalidRequest(`One poll may acknowledge at most ${MAX_ACKS} SETs`);
  }
  if (
    typeof maxEvents !== 'number' ||
    !Number.isInteger(maxEvents) ||
    maxEvents < 0 ||
    maxEvents > MAX_EVENTS
  ) {
    throw OAuthError.invalidRequest(`"maxEvents" must be a whole number from 0 to ${MAX_EVENTS}`);
  }
  if (typeof returnImmediately !== 'boolean') {
    throw OAuthError.invalidRequest('"returnImmediately" must be a boolean');
  }
  return { ack, setErrs: errors, maxEvents, returnImmediately };
}

/** The issuer's path (without a trailing `/`), for SSF 1.0 §7.2's path-inserted well-known URL. */
function issuerPath(issuer: string): string {
  return new URL(issuer).pathname.replace(/\/+$/, '');
}

export function registerSsfRoutes(app: FastifyInstance, deps: SsfRoutesDeps): SsfRoutes {
  const { issuer } = deps;
  const waiting = new Set<() => void>();

  async function authorize(request: FastifyRequest, endpoint: string): Promise<string> {
    const authorization = request.headers.authorization;
    request.usedBasicAuth = isBasicAuthorization(authorization);
    if (!request.usedBasicAuth) {
      throw OAuthError.invalidClient('The SSF endpoints require HTTP Basic client authentication');
    }
    const { client, method } = await deps.authenticate({ authorization, body: {}, endpoint });
    if (method === 'none') {
      throw OAuthError.invalidClient('The SSF endpoints require client authentication');
    }
    if (!client.permissions.includes(SSF_PERMISSION)) {
      throw OAuthError.accessDenied(`The client lacks the ${SSF_PERMISSION} permission`);
    }
    return client.id;
  }

  /** SSF 1.0 §8.1.1: what the receiver may know of its stream. */
  function configurationOf(stream: SsfStreamRecord) {
    return {
      stream_id: stream.id,
      iss: issuer,
      aud: stream.clientId,
      events_supported: SSF_EVENTS_SUPPORTED,
      events_delivered: SSF_EVENTS_SUPPORTED,
      delivery: { method: SSF_POLL_METHOD, endpoint_url: issuer + SSF_POLL_PATH },
      description: 'Tessera CAEP events (session-revoked, assurance-level-change, credential-change)',
    };
  }

  /** Resolves at the first CAEP event this node publishes or relays, at `ms`, or at shutdown. */
  function waitForEvent(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const unsubscribe = deps.bus.subscribe('revocation.created', (event) => {
        if (isCaepRevocation(event)) {
          done();
        }
      });
      waiting.add(done);
    });
  }

  let metadata: string | undefined;
  const sendMetadata = async (_request: FastifyRequest, reply: import('fastify').FastifyReply) => {
    metadata ??= JSON.stringify({
      spec_version: '1_0',
      issuer,
      jwks_uri: `${issuer}/jwks`,
      delivery_methods_supported: [SSF_POLL_METHOD],
      configuration_endpoint: issuer + SSF_STREAM_PATH,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
      default_subjects: 'ALL',
    });
    reply.header('cache-control', 'public, max-age=300');
    reply.header('access-control-allow-origin', '*');
    return reply.type('application/json; charset=utf-8').send(metadata);
  };
  app.get(SSF_CONFIGURATION_PATH, sendMetadata);
  const path = issuerPath(issuer);
  if (path !== '') {
    app.get(SSF_CONFIGURATION_PATH + path, sendMetadata);
  }

  app.get(SSF_STREAM_PATH, { config: { challenge: 'basic' } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const clientId = await authorize(request, issuer + SSF_STREAM_PATH);
    const stream = await deps.transmitter.stream(clientId);
    const { stream_id: wanted } = (request.query ?? {}) as { stream_id?: unknown };
    if (wanted === undefined) {
      return [configurationOf(stream)];
    }
    if (wanted !== stream.id) {
      throw OAuthError.notFound('No such stream for this receiver');
    }
    return configurationOf(stream);
  });

  app.post(SSF_POLL_PATH, { config: { challenge: 'basic' } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const clientId = await authorize(request, issuer + SSF_POLL_PATH);
    const poll = parsePollRequest(request.body);
    const stream = await deps.transmitter.stream(clientId);
    let answer = await deps.transmitter.poll(stream, poll);
    if (
      Object.keys(answer.sets).length === 0 &&
      !poll.returnImmediately &&
      poll.maxEvents > 0 &&
      deps.longPollWaitMs > 0 &&
      waiting.size < MAX_WAITING
    ) {
      await waitForEvent(deps.longPollWaitMs);
      answer = await deps.transmitter.poll(stream, { ...poll, ack: [], setErrs: new Map() });
    }
    return reply.type('application/json; charset=utf-8').send(answer);
  });

  return {
    closeAll() {
      for (const done of [...waiting]) {
        done();
      }
    },
  };
}
