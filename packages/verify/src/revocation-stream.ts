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
 */
import type { RevocationEvent } from '@tessera/protocol';
import { basicAuthorization } from './basic-authorization.js';
import type { ClientCredentials } from './introspection.js';
import { createEventStreamParser } from './sse.js';

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

/** Lets a library timer not keep the process alive (Node); a no-op elsewhere. */
function unref(timer: ReturnType<typeof setTimeout>): void {
  const handle = timer as unknown as { unref?: () => void };
  handle.unref?.();
}

function isRevocationEvent(value: unknown): value is RevocationEvent {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const event = value as Record<string, unknown>;
  const target = event.target as Record<string, unknown> | undefined;
  return (
    typeof event.id === 'number' &&
    typeof event.revokedAt === 'number' &&
    typeof event.expiresAt === 'number' &&
    typeof target === 'object' &&
    target !== null &&
    typeof target.type === 'string' &&
    typeof target.value === 'string'
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
  let state: RevocationStreamState = 'connecting';
  let lastEventId = '';
  let connectedSince: number | undefined;
  let downSince: number | undefined = options.now();
  let connections = 0;
  let lastError: string | undefined;
  let closed = false;
  let running: Promise<void> | undefined;
  let current: AbortController | undefined;
  let wake: (() => void) | undefined;
  const waiters: Array<() => void> = [];

  function report(error: unknown): void {
    lastError = messageOf(error);
    options.onError?.(error);
  }

  function markSynced(): void {
    state = 'connected';
    connectedSince = options.now();
    downSince = undefined;
    for (const resolve of waiters.splice(0)) {
      resolve();
    }
  }

  function markDown(): void {
    connectedSince = undefined;
    downSince ??= options.now();
    if (!closed) {
      state = 'reconnecting';
    }
  }

  function handleEvent(type: string, data: string): void {
    if (type === 'ready') {
      markSynced();
      return;
    }
    if (type !== 'revocation') {
      return;
    }
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch (error) {
      report(error);
      return;
    }
    if (isRevocationEvent(event)) {
      options.onEvent(event);
    } else {
      report(new Error('revocation stream: malformed event'));
    }
  }

  /** One connection, until it ends or fails. Returns true when it got in sync. */
  async function connectOnce(): Promise<boolean> {
    const controller = new AbortController();
    current = controller;
    const url = await options.endpoint();
    if (url === undefined) {
      throw new Error('the issuer advertises no revocation_stream_endpoint');
    }
    if (closed) {
      return false;
    }
    let idle: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      if (idle !== undefined) {
        clearTimeout(idle);
      }
      idle = setTimeout(
        () => controller.abort(new Error('revocation stream: no heartbeat')),
        options.idleTimeoutMs,
      );
      unref(idle);
    };
    const headers: Record<string, string> = {
      authorization: basicAuthorization(options.client),
      accept: 'text/event-stream',
      'cache-control': 'no-store',
    };
    if (lastEventId !== '') {
      headers['last-event-id'] = lastEventId;
    }
    let synced = false;
    try {
      arm();
      const response = await options.fetch(url, { headers, signal: controller.signal });
      if (!response.ok || response.body === null) {
        await response.body?.cancel().catch(() => {});
        throw new Error(`revocation stream answered ${response.status}`);
      }
      connections++;
      const parser = createEventStreamParser((event) => {
        if (event.type === 'ready') {
          synced = true;
        }
        handleEvent(event.type, event.data);
        lastEventId = event.lastEventId;
      }, lastEventId);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          break;
        }
        arm();
        parser.push(value);
      }
      if (!closed) {
        report(new Error('revocation stream: the server closed the connection'));
      }
    } finally {
      if (idle !== undefined) {
        clearTimeout(idle);
      }
      current = undefined;
    }
    return synced;
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      unref(timer);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });
  }

  async function run(): Promise<void> {
    let attempt = 0;
    while (!closed) {
      try {
        if (await connectOnce()) {
          attempt = 0;
        }
      } catch (error) {
        if (!closed) {
          report(error);
        }
      }
      markDown();
      if (closed) {
        break;
      }
      // Capped exponential backoff with jitter, so a fleet of API servers does not reconnect in step.
      const ceiling = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** attempt);
      attempt++;
      await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
    }
  }

  return {
    start() {
      running ??= run();
    },
    ready() {
      if (state === 'connected') {
        return Promise.resolve();
      }
      return new Promise((resolve) => waiters.push(resolve));
    },
    status() {
      return {
        state,
        lastEventId: lastEventId === '' ? undefined : lastEventId,
        connectedSince,
        downSince,
        connections,
        lastError,
      };
    },
    downSince: () => downSince,
    async close() {
      closed = true;
      state = 'closed';
      current?.abort(new Error('revocation stream: closed'));
      wake?.();
      await running;
      for (const resolve of waiters.splice(0)) {
        resolve();
      }
    },
  };
}
