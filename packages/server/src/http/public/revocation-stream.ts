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
 */
import type { ServerResponse } from 'node:http';
import { OAuthError, type RevocationEvent } from '@tessera/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.js';
import type { EventBus } from '../../events/bus.js';
import type { AuthenticateClient } from '../../oauth/client-auth/index.js';
import type { RevocationStore } from '../../store/ports.js';

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
}

export interface RevocationStreamRoute {
  /** Ends every open stream (shutdown). */
  closeAll(): void;
  /** Open streams, for tests and metrics. */
  readonly openStreams: number;
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
  const open = new Set<ServerResponse>();
  const endpoint = deps.issuer + REVOCATION_STREAM_PATH;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;

  async function authorize(request: FastifyRequest): Promise<string> {
    const authorization = request.headers.authorization;
    request.usedBasicAuth = authorization !== undefined && /^basic(?: |$)/i.test(authorization);
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

  async function stream(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const clientId = await authorize(request);
    const lastEventId = parseLastEventId(request.headers['last-event-id']);

    // Subscribe before reading the backlog: an event that lands in between is buffered, then
    // sent once (deduplicated by id), never lost.
    const sent = new Set<number>();
    let live: RevocationEvent[] | undefined = [];
    const raw = reply.raw;
    const write = (event: RevocationEvent) => {
      if (sent.has(event.id)) {
        return;
      }
      sent.add(event.id);
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
    let backlog: RevocationEvent[];
    try {
      backlog = await loadBacklog(deps, lastEventId);
    } catch (error) {
      unsubscribe();
      throw error;
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
    open.add(raw);
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

    const heartbeat = setInterval(() => {
      raw.write(': heartbeat\n\n');
    }, heartbeatMs);
    heartbeat.unref();
    raw.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(raw);
      deps.onConnection?.({ clientId, open: false });
    });
  }

  app.get(REVOCATION_STREAM_PATH, { config: { challenge: 'basic' } }, stream);

  return {
    closeAll() {
      for (const raw of open) {
        raw.end();
      }
    },
    get openStreams() {
      return open.size;
    },
  };
}
