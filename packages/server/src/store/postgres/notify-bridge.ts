/**
 * The cross-node bus bridge over PostgreSQL LISTEN/NOTIFY (DESIGN §5). One dedicated connection
 * listens and notifies; it reconnects with backoff when lost. Events sent while disconnected are
 * queued (bounded) and sent on reconnect. Events other nodes sent meanwhile never arrive (NOTIFY
 * reaches only the sessions listening at commit), so on every reconnect, once it listens again, the
 * bridge delivers `events.missed` locally: the denylist then replays the revocations it missed from
 * the store (where they live with increasing ids) and the caches drop what they hold.
 *
 * The connection's `application_name` is `tessera-bus-<nodeId>`, so an operator (or a test) can find
 * this node's LISTEN backend in `pg_stat_activity`.
 */
import pg from 'pg';
import type { BusBridge, BusStatus, EventMap, Topic } from '../../events/bus.js';
import { assertSchemaName } from './dialect.js';

export interface NotifyBridgeOptions {
  /** The schema the nodes share; it is part of the default channel name. */
  schema?: string;
  /** Defaults to `tessera_events` (or `tessera_events_<schema>`). */
  channel?: string;
  /** This node's id: events it sent itself are ignored on receipt. */
  nodeId: string;
  /** Told about dropped events and connection losses; the bridge keeps going. */
  onError?: (error: unknown) => void;
}

interface Envelope {
  origin: string;
  topic: string;
  payload: unknown;
}

const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** PostgreSQL rejects NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7999;
const MAX_QUEUED = 1000;
const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;
const CONNECT_TIMEOUT_MS = 5000;

function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.origin === 'string' && typeof candidate.topic === 'string' && 'payload' in candidate
  );
}

export function createNotifyBridge(url: string, options: NotifyBridgeOptions): BusBridge {
  if (options.schema !== undefined) {
    assertSchemaName(options.schema);
  }
  const channel =
    options.channel ?? (options.schema === undefined ? 'tessera_events' : `tessera_events_${options.schema}`);
  if (!CHANNEL_NAME.test(channel)) {
    throw new RangeError(`invalid channel name ${JSON.stringify(channel)}`);
  }
  const report = options.onError ?? (() => {});

  let client: pg.Client | undefined;
  let connected = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let backoff = MIN_BACKOFF_MS;
  let deliver: ((topic: Topic, payload: unknown) => void) | undefined;
  const queue: string[] = [];
  /** When the connection last went up or down; `everConnected` tells a reconnect from the boot. */
  let since = Date.now();
  let everConnected = false;

  function onNotification(message: pg.Notification): void {
    if (message.channel !== channel || message.payload === undefined) {
      return;
    }
    let envelope: unknown;
    try {
      envelope = JSON.parse(message.payload);
    } catch (error) {
      report(error);
      return;
    }
    if (!isEnvelope(envelope) || envelope.origin === options.nodeId) {
      return;
    }
    deliver?.(envelope.topic as Topic, envelope.payload);
  }

  function notify(target: pg.Client, text: string): void {
    target.query('select pg_notify($1, $2)', [channel, text]).catch((error: unknown) => {
      report(error);
      enqueue(text);
    });
  }

  function enqueue(text: string): void {
    if (closed) {
      return;
    }
    if (queue.length >= MAX_QUEUED) {
      queue.shift();
      report(new Error('notify bridge queue full: dropped the oldest event'));
    }
    queue.push(text);
  }

  function flush(): void {
    while (connected && client !== undefined && queue.length > 0) {
      const text = queue.shift();
      if (text !== undefined) {
        notify(client, text);
      }
    }
  }

  function lost(which: pg.Client, error?: unknown): void {
    if (which !== client) {
      return;
    }
    client = undefined;
    if (connected) {
      since = Date.now();
    }
    connected = false;
    if (error !== undefined) {
      report(error);
    }
    which.end().catch(() => {});
    schedule();
  }

  function schedule(): void {
    if (closed || timer !== undefined) {
      return;
    }
    timer = setTimeout(() => {
      timer = undefined;
      connect().catch(() => {
        // `connect` has already handed the failure to `lost`, which schedules the next attempt.
      });
    }, backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }

  async function connect(): Promise<void> {
    const next = new pg.Client({
      connectionString: url,
      application_name: `tessera-bus-${options.nodeId}`.slice(0, 63),
      // A frozen or unreachable server must fail the attempt (and schedule the next one), not hang it;
      // keep-alive notices a peer that vanished while the connection sat listening.
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client = next;
    next.on('notification', onNotification);
    next.on('error', (error) => lost(next, error));
    next.on('end', () => lost(next));
    try {
      await next.connect();
      await next.query(`listen "${channel}"`);
    } catch (error) {
      lost(next, error);
      throw error;
    }
    if (client !== next) {
      return;
    }
    connected = true;
    backoff = MIN_BACKOFF_MS;
    const downMs = Date.now() - since;
    since = Date.now();
    flush();
    if (everConnected) {
      // Listening again: whatever other nodes sent while we were away is lost; say so locally.
      deliver?.('events.missed', { cause: 'reconnected', downMs } satisfies EventMap['events.missed']);
    }
    everConnected = true;
  }

  async function stop(): Promise<void> {
    closed = true;
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    const current = client;
    client = undefined;
    if (connected) {
      since = Date.now();
    }
    connected = false;
    queue.length = 0;
    if (current !== undefined) {
      await current.end().catch(() => {});
    }
  }

  return {
    send(topic, payload) {
      const text = JSON.stringify({ origin: options.nodeId, topic, payload } satisfies Envelope);
      if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
        report(new RangeError(`event ${topic} is too large for NOTIFY (${Buffer.byteLength(text)} bytes)`));
        return;
      }
      if (connected && client !== undefined) {
        notify(client, text);
      } else {
        enqueue(text);
      }
    },

    async start(next) {
      deliver = next;
      try {
        await connect();
      } catch (error) {
        // Fail fast at boot rather than run a node that silently misses every event.
        await stop();
        throw error;
      }
    },

    close: stop,

    status(): BusStatus {
      return { connected, since };
    },
  };
}
