/**
 * What the revocation stream consumer knows of itself: its state, the last event id (what a
 * reconnect resumes from), since when it has been in or out of sync, how many connections it made,
 * its last error, and who waits for it to get in sync. A consumer starts out of sync.
 */
import type { RevocationStreamState, RevocationStreamStatus } from './revocation-stream.js';

/**
 * What {@link createStreamSyncState} needs.
 *
 * @example
 * ```ts
 * const deps: StreamSyncStateDeps = { now: () => Math.floor(Date.now() / 1000), onError: console.error };
 * ```
 */
export interface StreamSyncStateDeps {
  /** The verifier's clock, seconds. */
  now: () => number;
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * The consumer's state.
 *
 * @example
 * ```ts
 * sync.markSynced(); // on `event: ready`
 * sync.status().state; // 'connected'
 * ```
 */
export interface StreamSyncState {
  /** Records a failure (message only, for status) and tells `onError`. */
  report(error: unknown): void;
  /** The backlog is delivered: in sync, and every `ready()` waiter resolves. */
  markSynced(): void;
  /** The connection is lost: out of sync since now, unless already. */
  markDown(): void;
  /** For good: state `closed`; the run loop stops. */
  markClosed(): void;
  /** Resolves every `ready()` waiter (after a close). */
  releaseWaiters(): void;
  isClosed(): boolean;
  countConnection(): void;
  /** '' before any event. */
  lastEventId(): string;
  setLastEventId(id: string): void;
  ready(): Promise<void>;
  status(): RevocationStreamStatus;
  downSince(): number | undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates the state, out of sync since now.
 *
 * @example
 * ```ts
 * const sync = createStreamSyncState({ now, onError });
 * ```
 */
export function createStreamSyncState(deps: StreamSyncStateDeps): StreamSyncState {
  let state: RevocationStreamState = 'connecting';
  let lastEventId = '';
  let connectedSince: number | undefined;
  let downSince: number | undefined = deps.now();
  let connections = 0;
  let lastError: string | undefined;
  let closed = false;
  const waiters: Array<() => void> = [];

  function report(error: unknown): void {
    lastError = messageOf(error);
    deps.onError?.(error);
  }

  function markSynced(): void {
    state = 'connected';
    connectedSince = deps.now();
    downSince = undefined;
    for (const resolve of waiters.splice(0)) {
      resolve();
    }
  }

  function markDown(): void {
    connectedSince = undefined;
    downSince ??= deps.now();
    if (!closed) {
      state = 'reconnecting';
    }
  }

  return {
    report,
    markSynced,
    markDown,
    markClosed() {
      closed = true;
      state = 'closed';
    },
    releaseWaiters() {
      for (const resolve of waiters.splice(0)) {
        resolve();
      }
    },
    isClosed: () => closed,
    countConnection() {
      connections++;
    },
    lastEventId: () => lastEventId,
    setLastEventId(id) {
      lastEventId = id;
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
  };
}
