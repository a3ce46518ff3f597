/**
 * One open revocation stream, as Server-Sent Events: subscribe to the bus first, then send the
 * backlog, then what arrived meanwhile, then `event: ready`, then live events and a heartbeat
 * comment every ~15 s. Each revocation is `id: <event id>`, `event: revocation`,
 * `data: <RevocationEvent JSON>`, sent once (sent-ids.ts). A consumer too far behind is cut off
 * and resumes with `Last-Event-ID`. Closing the connection frees its subscription, timer and slot.
 */
import type { ServerResponse } from 'node:http';
import type { RevocationEvent } from '@tessera/protocol';
import type { FastifyReply } from 'fastify';
import type { EventBus } from '../../events/bus.js';
import { loadBacklog, type RevocationBacklogDeps } from './revocation-backlog.js';
import { createSentIds, type SentIds } from './sent-ids.js';

/** A consumer this far behind is cut off; it resumes with Last-Event-ID on reconnect. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Ids remembered per stream for de-duplication (well above RESUME_OVERLAP). */
const DEFAULT_DEDUPE_WINDOW = 4096;

export interface RevocationSseDeps extends RevocationBacklogDeps {
  bus: Pick<EventBus, 'subscribe'>;
  /** Milliseconds between heartbeats (default 15 000). */
  heartbeatMs?: number | undefined;
  /** Told when a stream opens or closes (logging). */
  onConnection?: ((event: { clientId: string; open: boolean }) => void) | undefined;
  /** Ids remembered per stream for de-duplication (default 4096). */
  dedupeWindow?: number | undefined;
  /** The open streams and what each has sent; a stream is in it from its 200 to its close. */
  open: Map<ServerResponse, SentIds>;
}

/** Serves one authorized stream until it closes; `release` frees its slot (called once, on close). */
export type ServeRevocationStream = (
  reply: FastifyReply,
  clientId: string,
  lastEventId: number | undefined,
  release: () => void,
) => Promise<void>;

function formatEvent(event: RevocationEvent): string {
  return `id: ${event.id}\nevent: revocation\ndata: ${JSON.stringify(event)}\n\n`;
}

export function createRevocationSse(deps: RevocationSseDeps): ServeRevocationStream {
  const { open } = deps;
  const dedupeWindow = deps.dedupeWindow ?? DEFAULT_DEDUPE_WINDOW;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;

  return async function serve(
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
  };
}
