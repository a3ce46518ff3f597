/**
 * The consumer of Tessera's revocation stream (`GET /revocations/stream`, Server-Sent Events,
 * DESIGN §5). It authenticates as a client (HTTP Basic), applies every `revocation` event to the
 * denylist, resumes after a lost connection with `Last-Event-ID` so no event of the outage is
 * missed, reconnects with capped exponential backoff and jitter, and treats a silent connection
 * (no event and no heartbeat for `idleTimeout`) as lost, since a half-open TCP connection would
 * otherwise look healthy for ever.
 *
 * Protocol: on connect the server sends the backlog (every active revocation, or with
 * `Last-Event-ID` every later one), then an `event: ready` marker, then live events; comment
 * lines are heartbeats.
 *
 * The parts are modules of their own: the consumer's state (stream-sync-state.ts), one connection
 * (stream-connection.ts) and the pause between two (reconnect-backoff.ts); this factory runs the
 * reconnect loop.
 */
import type { RevocationEvent } from '@tessera/protocol';
import type { ClientCredentials } from './introspection.js';
import { createReconnectBackoff } from './reconnect-backoff.js';
import { createStreamConnection } from './stream-connection.js';
import { createStreamSyncState } from './stream-sync-state.js';

/**
 * Where the stream stands.
 *
 * @example
 * ```ts
 * if (verifier.status().revocations.state !== 'connected') console.warn('revocations not in sync');
 * ```
 */
export type RevocationStreamState = 'disabled' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/**
 * The stream's state, as reported by `verifier.status()`.
 *
 * @example
 * ```ts
 * const { state, downSince } = verifier.status().revocations;
 * ```
 */
export interface RevocationStreamStatus {
  state: RevocationStreamState;
  /** The last event id received: what a reconnect resumes from. */
  lastEventId: string | undefined;
  /** When (seconds) the current connection delivered its backlog, if connected. */
  connectedSince: number | undefined;
  /** Since when (seconds) the stream has not been in sync; undefined while connected. */
  downSince: number | undefined;
  /** Connections made so far (the first one included). */
  connections: number;
  /** The last failure, without secrets, for logs and health pages. */
  lastError: string | undefined;
}

export interface RevocationStreamOptions {
  endpoint: () => Promise<string | undefined>;
  client: ClientCredentials;
  fetch: typeof fetch;
  /** The verifier's clock, seconds. */
  now: () => number;
  minDelayMs: number;
  maxDelayMs: number;
  idleTimeoutMs: number;
  onEvent: (event: RevocationEvent) => void;
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * A running consumer.
 *
 * @example
 * ```ts
 * const stream = createRevocationStream({ …, onEvent: (event) => denylist.add(event, now()) });
 * stream.start();
 * await stream.ready();
 * ```
 */
export interface RevocationStream {
  start(): void;
  /** Resolves once a connection has delivered its backlog. */
  ready(): Promise<void>;
  status(): RevocationStreamStatus;
  /** Since when (seconds) the stream has been out of sync, or undefined; allocation-free. */
  downSince(): number | undefined;
  close(): Promise<void>;
}

/**
 * Creates the consumer; nothing happens until `start()`.
 *
 * @example
 * ```ts
 * const stream = createRevocationStream({
 *   endpoint: async () => 'https://auth.example/revocations/stream',
 *   client: { clientId: 'cli_api', clientSecret: 'tsr_cs_…' },
 *   fetch, now: () => Math.floor(Date.now() / 1000),
 *   minDelayMs: 250, maxDelayMs: 30_000, idleTimeoutMs: 45_000,
 *   onEvent: (event) => console.log(event.target),
 * });
 * ```
 */
export function createRevocationStream(options: RevocationStreamOptions): RevocationStream {
  const sync = createStreamSyncState({ now: options.now, onError: options.onError });
  const connection = createStreamConnection({
    endpoint: options.endpoint,
    client: options.client,
    fetch: options.fetch,
    idleTimeoutMs: options.idleTimeoutMs,
    sync,
    onEvent: options.onEvent,
  });
  const backoff = createReconnectBackoff({ minDelayMs: options.minDelayMs, maxDelayMs: options.maxDelayMs });
  let running: Promise<void> | undefined;

  async function run(): Promise<void> {
    let attempt = 0;
    while (!sync.isClosed()) {
      try {
        if (await connection.connectOnce()) {
          attempt = 0;
        }
      } catch (error) {
        if (!sync.isClosed()) {
          sync.report(error);
        }
      }
      sync.markDown();
      if (sync.isClosed()) {
        break;
      }
      await backoff.wait(attempt);
      attempt++;
    }
  }

  return {
    start() {
      running ??= run();
    },
    ready: sync.ready,
    status: sync.status,
    downSince: sync.downSince,
    async close() {
      sync.markClosed();
      connection.abort(new Error('revocation stream: closed'));
      backoff.wake();
      await running;
      sync.releaseWaiters();
    },
  };
}
