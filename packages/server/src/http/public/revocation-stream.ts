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
 *
 * Each part is a module of its own: authorization (stream-authorization.ts), the caps
 * (stream-slots.ts), the backlog (revocation-backlog.ts) and one open stream (revocation-sse.ts);
 * this file wires them to the route.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.js';
import type { EventBus } from '../../events/bus.js';
import type { AuthenticateClient } from '../../oauth/client-auth/index.js';
import type { RevocationStore } from '../../store/ports.js';
import { parseLastEventId } from './revocation-backlog.js';
import { createRevocationSse } from './revocation-sse.js';
import type { SentIds } from './sent-ids.js';
import { createStreamAuthorization } from './stream-authorization.js';
import { createStreamSlots } from './stream-slots.js';

export { REVOCATION_STREAM_PERMISSION } from './stream-authorization.js';
export const REVOCATION_STREAM_PATH = '/revocations/stream';

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

export function registerRevocationStream(
  app: FastifyInstance,
  deps: RevocationStreamDeps,
): RevocationStreamRoute {
  const open = new Map<ServerResponse, SentIds>();
  const authorize = createStreamAuthorization({
    authenticate: deps.authenticate,
    endpoint: deps.issuer + REVOCATION_STREAM_PATH,
  });
  const slots = createStreamSlots({ limits: deps.limits });
  const serve = createRevocationSse({
    store: deps.store,
    clock: deps.clock,
    bus: deps.bus,
    heartbeatMs: deps.heartbeatMs,
    onConnection: deps.onConnection,
    dedupeWindow: deps.dedupeWindow,
    open,
  });

  async function stream(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const clientId = await authorize(request);
    const lastEventId = parseLastEventId(request.headers['last-event-id']);
    const release = slots.hold(clientId);
    try {
      await serve(reply, clientId, lastEventId, release);
    } catch (error) {
      release();
      throw error;
    }
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
