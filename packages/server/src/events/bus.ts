/**
 * The event bus port: audit-worthy facts, revocations and cache invalidations. Topics are
 * `noun.verb` in the past tense. In one process delivery is synchronous; across nodes a bridge
 * (PostgreSQL LISTEN/NOTIFY, see store/postgres/notify-bridge.ts) relays every event published
 * locally to the other nodes, which deliver it to their own subscribers.
 *
 * A bridge can lose its connection, and events other nodes sent meanwhile never arrive. So
 * `events.missed` is delivered locally when a bridge comes back, and at every revocation poll while
 * it is down: the denylist replays the revocations it missed from the store, and the caches drop
 * what they hold (they reload from the store).
 */
import type { RevocationEvent } from '@tessera/protocol';

/** Every topic and its payload. Payloads are JSON-serialisable and never contain a secret. */
export interface EventMap {
  'revocation.created': RevocationEvent;
  'client.updated': { clientId: string };
  'client.deleted': { clientId: string };
  'api_key.updated': { keyId: string; hash: string };
  'signing_key.rotated': { kid: string };
  'signing_key.revoked': { kid: string };
  'user.updated': { userId: string };
  /**
   * Events from other nodes may have been lost: delivered locally only (never relayed) by a bridge
   * that got its connection back (`reconnected`), and at every revocation poll while the bridge is
   * down (`bus down`). `downMs` is how long the bridge was (or has been) down.
   */
  'events.missed': { cause: 'reconnected' | 'bus down'; downMs: number };
}

export type Topic = keyof EventMap;
export type Handler<T extends Topic> = (payload: EventMap[T]) => void;

export interface EventBus {
  /** Delivers to local subscribers at once and, when bridged, to other nodes. */
  publish<T extends Topic>(topic: T, payload: EventMap[T]): void;
  /** Returns a function that unsubscribes. */
  subscribe<T extends Topic>(topic: T, handler: Handler<T>): () => void;
  /**
   * Delivers to local subscribers only, never to other nodes: for an event another node published
   * and this one missed (a revocation replayed from the store).
   */
  publishLocal<T extends Topic>(topic: T, payload: EventMap[T]): void;
}

/** A bridge's connection, as `/readyz` and the metrics report it. */
export interface BusStatus {
  /** True while events flow both ways. */
  connected: boolean;
  /** When the connection last went up or down (epoch milliseconds). */
  since: number;
}

/** Something that relays bus events between nodes. */
export interface BusBridge {
  /** Sends a locally published event to the other nodes. */
  send(topic: Topic, payload: unknown): void;
  /**
   * Starts relaying remote events into `deliver`. A bridge that can lose its connection delivers
   * `events.missed` (`reconnected`) each time it has it back, after it listens again, so nothing
   * falls between.
   */
  start(deliver: (topic: Topic, payload: unknown) => void): Promise<void>;
  close(): Promise<void>;
  /** The connection state, when the bridge has one to lose. */
  status?(): BusStatus;
}
