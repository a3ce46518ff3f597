/**
 * The bus bridge between the workers of one `tessera serve --workers N` (node:cluster) when the
 * database has no cross-node bus (SQLite). Each worker keeps its own in-memory caches (clients,
 * API keys, the revocation denylist); an event published in one worker must reach the others, or a
 * revoked token stays valid in the worker that did not hear of it.
 *
 * Events travel over the IPC channel node:cluster already has: a worker sends the event to the
 * primary (`process.send`), and the primary relays it to every other worker. The primary never
 * interprets the payload. With PostgreSQL, the LISTEN/NOTIFY bridge relays between workers as it
 * does between machines, so this one is not used.
 *
 * The IPC channel never reconnects: once it is gone the worker is shutting down. The revocation poll
 * (`revocations.pollInterval`) reads the store on every worker all the same, so a revocation written
 * by any process (another worker, an offline CLI command) is applied within one interval.
 */
import type { BusBridge, BusStatus, Topic } from './bus.js';

/** Marks our IPC messages among any others (node:cluster sends its own internal ones). */
const TAG = 'tessera:bus';

export interface BusEnvelope {
  tag: typeof TAG;
  topic: Topic;
  payload: unknown;
}

export function isBusEnvelope(message: unknown): message is BusEnvelope {
  if (typeof message !== 'object' || message === null) {
    return false;
  }
  const candidate = message as Record<string, unknown>;
  return candidate.tag === TAG && typeof candidate.topic === 'string' && 'payload' in candidate;
}

/** The part of a worker's `process` the bridge uses (an EventEmitter in tests). */
export interface WorkerChannel {
  readonly connected?: boolean;
  send?(message: unknown, callback?: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** The worker side: events published here go to the primary; relayed ones are delivered here. */
export function createClusterBridge(
  channel: WorkerChannel = process,
  options: { onError?: (error: unknown) => void } = {},
): BusBridge {
  let listener: ((message: unknown) => void) | undefined;
  const startedAt = Date.now();
  return {
    status(): BusStatus {
      return { connected: channel.connected !== false && listener !== undefined, since: startedAt };
    },
    send(topic, payload) {
      if (channel.send === undefined || channel.connected === false) {
        // Shutting down (the IPC channel is closed): nobody is left to tell.
        return;
      }
      const envelope: BusEnvelope = { tag: TAG, topic, payload };
      channel.send(envelope, (error) => {
        if (error !== null && error !== undefined) {
          options.onError?.(error);
        }
      });
    },
    async start(deliver) {
      listener = (message) => {
        if (isBusEnvelope(message)) {
          deliver(message.topic, message.payload);
        }
      };
      channel.on('message', listener);
    },
    async close() {
      if (listener !== undefined) {
        channel.off('message', listener);
        listener = undefined;
      }
    },
  };
}

/** A worker as the primary sees it. */
export interface RelayTarget {
  readonly id: number;
  isConnected(): boolean;
  send(message: unknown, callback?: (error: Error | null) => void): boolean;
}

/**
 * A send to a worker that is dying fails (EPIPE, the channel closed) even when the worker still
 * said it was connected; without a callback Node emits that as an 'error' event on the worker, and
 * with no listener the primary itself would end. The worker's exit is handled where it exits.
 */
function ignoreSendError(): void {}

/**
 * The primary side: relays a bus event from worker `fromId` to every other connected worker.
 * Returns false (and sends nothing) for any message that is not a bus event.
 */
export function relayBusMessage(
  message: unknown,
  fromId: number,
  workers: Iterable<RelayTarget | undefined>,
): boolean {
  if (!isBusEnvelope(message)) {
    return false;
  }
  for (const worker of workers) {
    if (worker !== undefined && worker.id !== fromId && worker.isConnected()) {
      worker.send(message, ignoreSendError);
    }
  }
  return true;
}
