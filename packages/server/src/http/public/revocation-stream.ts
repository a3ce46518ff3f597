/**
 * `GET /revocations/stream`: revocations pushed to API servers as Server-Sent Events (DESIGN §5;
 * a Tessera extension advertised in discovery as `revocation_stream_endpoint`).
 *
 * - The caller authenticates as a client with HTTP Basic (RFC 6749 §2.3.1) and must hold the
 *   `revocations:stream` permission; otherwise 401 `invalid_client` or 403 `insufficient_scope`.
 * - On connect it receives the backlog: with `Last-Event-ID` (WHATWG HTML §9.2.4) every revocation
 *   after that id (plus a small overlap, see below), without it every revocation still in force.
 *   Then one `event: ready` marks the end of the backlog, then live events from the bus, which also
 *   carries other nodes' revocations (PostgreSQL LISTEN/NOTIFY) and those the denylist replayed from
 *   the store because the bus missed them (tokens/revocations.ts).
 * - Each revocation is `id: <event id>`, `event: revocation`, `data: <RevocationEvent JSON>`.
 *   Comment lines every ~15 s are heartbeats, so a consumer can tell a silent stream from a dead one.
 * - Server shutdown ends every stream cleanly (preClose), so `app.close()` never waits on them.
 * - Memory per stream is bounded: de-duplication remembers only the last ids sent (sent-ids.ts),
 *   and open streams are capped per client and in total; over a cap the caller gets 429
 *   `rate_limited` with `Retry-After` (RFC 6585 §4) and reconnects later.
 */
import type { ServerResponse } from 'node:http';
import { OAuthError, type RevocationEvent } from '@tessera/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.js';
import type { EventBus } from '../../events/bus.js';
import { isBasicAuthorization } from '../../oauth/client-auth/client-secret-basic.js';
import type { AuthenticateClient } from '../../oauth/client-auth/index.js';
import type { RevocationStore } from '../../store/ports.js';
import { createSentIds, type SentIds } from './sent-ids.js';

export const REVOCATION_STREAM_PATH = '/revocations/stream';
export const REVOCATION_STREAM_PERMISSION = 'revocations:stream';

/**
 * Event ids come from one sequence, but concurrent writers (two nodes, or two transactions on one)
 * can commit them out of order, so a consumer may see id 11 before id 10. On resume we therefore
 * replay this many ids before `Last-Event-ID`; duplicates are harmless (the denylist is idempotent).
 */
const RESUME_OVERLAP = 256;
const PAGE = 500;
/** A consumer this far behind is cut off; it resumes with Last-Event-ID on reconnect. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Ids remembered per stream for de-duplication (well above RESUME_OVERLAP). */
const DEFAULT_DEDUPE_WINDOW = 4096;
/** Seconds a refused stream is told to wait before reconnecting. */
const CAP_RETRY_AFTER = 10;

export interface RevocationStreamDeps {
  issuer: string;
  authenticate: AuthenticateClient;
  store: Pick<RevocationStore, 'listActiveRevocations' | 'listRevocationsSince'>;
  bus: Pick<EventBus, 'subscribe'>;
  clock: Clock;
  /** Milliseconds between heartbeats (default 15 000). */
  heartbeatMs?: number;
  /** Told when a stream opens or closes (logging). */
  onConnection?: (event: { clientId: string; open: boolean }) => void;
  /** Most streams open at once per client and in total (0: no limit). */
  limits?: { perClient: number; total: number };
  /** Ids remembered per stream for de-duplication (default 4096). */
  dedupeWindow?: number;
}

export interface RevocationStreamRoute {
  /** Ends every open stream (shutdown). */
  closeAll(): void;
  /** Open streams, for tests and metrics. */
  readonly openStreams: number;
  /** Event ids remembered by all open streams together (bounded by dedupeWindow per stream). */
  readonly trackedIds: number;
}

/** Parses `Last-Event-ID`: absent or empty → undefined; else a non-negative integer. */
function parseLastEventId(value: string | string[] | undefined): number | undefined {
  if (Array.isArray(value)) {
    throw OAuthError.invalidRequest('Last-Event-ID must not be repeated');
  }
  if (value === undefined || value.trim() === '') {
    return undefined;
  }
  if (!/^\d{1,15}$/.test(value.trim())) {
    throw OAuthError.invalidRequest('Last-Event-ID must be an event id');
  }
  return Number(value.trim());
}

function formatEvent(event: RevocationEvent): string {
  return `id: ${event.id}\nevent: revocation\ndata: ${JSON.stringify(event)}\n\n`;
}

/** The backlog a (re)connecting consumer needs, oldest first. */
async function loadBacklog(
  deps: Pick<RevocationStreamDeps, 'store' | 'clock'>,
  lastEventId: number | undefined,
): Promise<RevocationEvent[]> {
  const now = deps.clock.now();
  if (lastEventId === undefined) {
    return deps.store.listActiveRevocations(now);
  }
  const events: RevocationEvent[] = [];
  let after = Math.max(0, lastEventId - RESUME_OVERLAP);
  for (;;) {
    const page = await deps.store.listRevocationsSince(after, PAGE);
    for (const event of page) {
      // An expired revocation names nothing that could still be valid: no need to send it.
      if (event.expiresAt > now) {
        events.push(event);
      }
    }
    const last = page.at(-1);
    if (page.length < PAGE || last === undefined) {
      return events;
    }
    after = last.id;
  }
}

export function registerRevocationStream(
  app: FastifyInstance,
  deps: RevocationStreamDeps,
): RevocationStreamRoute {
  const open = new Map<ServerResponse, SentIds>();
  /** Streams held per client, counted from authorization on, so concurrent connects cannot overshoot. */
  const held = new Map<string, number>();
  let heldTotal = 0;
  const perClientCap = deps.limits?.perClient ?? 0;
  const totalCap = deps.limits?.total ?? 0;
  const dedupeWindow = deps.dedupeWindow ?? DEFAULT_DEDUPE_WINDOW;
  const endpoint = deps.issuer + REVOCATION_STREAM_PATH;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;

  async function authorize(request: FastifyRequest): Promise<string> {
    const authorization = request.headers.authorization;
    request.usedBasicAuth = isBasicAuthorization(authorization);
    if (!request.usedBasicAuth) {
      throw OAuthError.invalidClient('The revocation stream requires HTTP Basic client authentication');
    }
    const { client, method } = await deps.authenticate({ authorization, body: {}, endpoint });
    if (method === 'none') {
      throw OAuthError.invalidClient('The revocation stream requires client authentication');
    }
    if (!client.permissions.includes(REVOCATION_STREAM_PERMISSION)) {
      throw OAuthError.insufficientScope(`The client lacks the ${REVOCATION_STREAM_PERMISSION} permission`, {
        scope: REVOCATION_STREAM_PERMISSION,
      });
    }
    return client.id;
  }

  /** Takes a stream slot for `clientId`, or refuses with 429; the caller must release it once. */
  function hold(clientId: string): () => void {
    const mine = held.get(clientId) ?? 0;
    if (totalCap > 0 && heldTotal >= totalCap) {
      throw OAuthError.rateLimited('Too many open revocation streams on this server; retry later', {
        retryAfter: CAP_RETRY_AFTER,
      });
    }
    if (perClientCap > 0 && mine >= perClientCap) {
      throw OAuthError.rateLimited(
        `This client already holds ${perClientCap} open revocation streams; close one or retry later`,
        { retryAfter: CAP_RETRY_AFTER },
      );
    }
    held.set(clientId, mine + 1);
    heldTotal += 1;
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      heldTotal -= 1;
      const left = (held.get(clientId) ?? 1) - 1;
      if (left > 0) {
        held.set(clientId, left);
      } else {
        held.delete(clientId);
      }
    };
  }

  async function stream(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const clientId = await authorize(request);
    const lastEventId = parseLastEventId(request.headers['last-event-id']);
    const release = hold(clientId);
    try {
      await serve(reply, clientId, lastEventId, release);
    } catch (error) {
      release();
      throw error;
    }
  }

  async function serve(
    reply: FastifyReply,
    clientId: string,
    lastEventId: number | undefined,
    release: () => void,
  ): Promise<void> {
    // Subscribe before reading the backlog: an event that lands in between is buffered, then
    // sent once (deduplicated by id), never lost.
    const sent = createSentIds(dedupeWindow);
    let live: RevocationEvent[] | undefined = [];
    const raw = reply.raw;
    const write = (event: RevocationEvent) => {
      if (!sent.add(event.id)) {
        return;
      }
      raw.write(formatEvent(event));
      if (raw.writableLength > MAX_BUFFERED_BYTES) {
        raw.destroy();
      }
    };
    const unsubscribe = deps.bus.subscribe('revocation.created', (event) => {
      if (live !== undefined) {
        live.push(event);
      } else if (!raw.destroyed) {
        write(event);
      }
    });
    let heartbeat: NodeJS.Timeout | undefined;
    let opened = false;
    // Registered before any await: a caller that hangs up during the backlog read frees its slot too.
    raw.once('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(raw);
      release();
      if (opened) {
        deps.onConnection?.({ clientId, open: false });
      }
    });
    let backlog: RevocationEvent[];
    try {
      backlog = await loadBacklog(deps, lastEventId);
    } catch (error) {
      unsubscribe();
      throw error;
    }
    if (raw.destroyed) {
      reply.hijack();
      return;
    }

    reply.hijack();
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Reverse proxies (nginx) must not buffer the stream.
      'x-accel-buffering': 'no',
    });
    open.set(raw, sent);
    opened = true;
    deps.onConnection?.({ clientId, open: true });
    raw.write(': tessera revocation stream\n\n');
    for (const event of backlog) {
      write(event);
    }
    const pending = live;
    live = undefined;
    for (const event of pending) {
      write(event);
    }
    raw.write('event: ready\ndata: {}\n\n');

    heartbeat = setInterval(() => {
      raw.write(': heartbeat\n\n');
    }, heartbeatMs);
    heartbeat.unref();
  }

  app.get(REVOCATION_STREAM_PATH, { config: { challenge: 'basic' } }, stream);

  return {
    closeAll() {
      for (const raw of open.keys()) {
        raw.end();
      }
    },
    get openStreams() {
      return open.size;
    },
    get trackedIds() {
      let total = 0;
      for (const sent of open.values()) {
        total += sent.size;
      }
      return total;
    },
  };
}
