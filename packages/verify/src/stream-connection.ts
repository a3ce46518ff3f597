/**
 * One connection to the revocation stream, until it ends or fails: HTTP Basic as the verifier's
 * client, `Last-Event-ID` to resume, and an idle timer re-armed by every chunk (events and
 * heartbeats alike), so a silent, half-open connection counts as lost. `ready` marks the end of
 * the backlog; each `revocation` event is checked for shape before it reaches the denylist.
 */
import type { RevocationEvent } from '@tessera/protocol';
import { basicAuthorization } from './basic-authorization.js';
import type { ClientCredentials } from './introspection.js';
import { createEventStreamParser } from './sse.js';
import type { StreamSyncState } from './stream-sync-state.js';
import { unref } from './unref.js';

/**
 * What {@link createStreamConnection} needs.
 *
 * @example
 * ```ts
 * const deps: StreamConnectionDeps = { endpoint: async () => url, client, fetch, idleTimeoutMs: 45_000, sync, onEvent };
 * ```
 */
export interface StreamConnectionDeps {
  endpoint: () => Promise<string | undefined>;
  client: ClientCredentials;
  fetch: typeof fetch;
  idleTimeoutMs: number;
  sync: StreamSyncState;
  onEvent: (event: RevocationEvent) => void;
}

/**
 * Connects, one connection at a time.
 *
 * @example
 * ```ts
 * const synced = await connection.connectOnce(); // true when it delivered its backlog
 * ```
 */
export interface StreamConnection {
  /** One connection, until it ends or fails. Returns true when it got in sync. */
  connectOnce(): Promise<boolean>;
  /** Aborts the connection in progress, if any. */
  abort(reason: Error): void;
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

/**
 * Creates the connector.
 *
 * @example
 * ```ts
 * const connection = createStreamConnection({ endpoint, client, fetch, idleTimeoutMs: 45_000, sync, onEvent });
 * ```
 */
export function createStreamConnection(deps: StreamConnectionDeps): StreamConnection {
  const { sync } = deps;
  let current: AbortController | undefined;

  function handleEvent(type: string, data: string): void {
    if (type === 'ready') {
      sync.markSynced();
      return;
    }
    if (type !== 'revocation') {
      return;
    }
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch (error) {
      sync.report(error);
      return;
    }
    if (isRevocationEvent(event)) {
      deps.onEvent(event);
    } else {
      sync.report(new Error('revocation stream: malformed event'));
    }
  }

  /** One connection, until it ends or fails. Returns true when it got in sync. */
  async function connectOnce(): Promise<boolean> {
    const controller = new AbortController();
    current = controller;
    const url = await deps.endpoint();
    if (url === undefined) {
      throw new Error('the issuer advertises no revocation_stream_endpoint');
    }
    if (sync.isClosed()) {
      return false;
    }
    let idle: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      if (idle !== undefined) {
        clearTimeout(idle);
      }
      idle = setTimeout(
        () => controller.abort(new Error('revocation stream: no heartbeat')),
        deps.idleTimeoutMs,
      );
      unref(idle);
    };
    const headers: Record<string, string> = {
      authorization: basicAuthorization(deps.client),
      accept: 'text/event-stream',
      'cache-control': 'no-store',
    };
    if (sync.lastEventId() !== '') {
      headers['last-event-id'] = sync.lastEventId();
    }
    let synced = false;
    try {
      arm();
      const response = await deps.fetch(url, { headers, signal: controller.signal });
      if (!response.ok || response.body === null) {
        await response.body?.cancel().catch(() => {});
        throw new Error(`revocation stream answered ${response.status}`);
      }
      sync.countConnection();
      const parser = createEventStreamParser((event) => {
        if (event.type === 'ready') {
          synced = true;
        }
        handleEvent(event.type, event.data);
        sync.setLastEventId(event.lastEventId);
      }, sync.lastEventId());
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          break;
        }
        arm();
        parser.push(value);
      }
      if (!sync.isClosed()) {
        sync.report(new Error('revocation stream: the server closed the connection'));
      }
    } finally {
      if (idle !== undefined) {
        clearTimeout(idle);
      }
      current = undefined;
    }
    return synced;
  }

  return {
    connectOnce,
    abort(reason) {
      current?.abort(reason);
    },
  };
}
