/**
 * The event bus port: audit-worthy facts, revocations and cache invalidations. Topics are
 * `noun.verb` in the past tense. In one process delivery is synchronous; across nodes a bridge
 * (PostgreSQL LISTEN/NOTIFY, see store/postgres/notify-bridge.ts) relays every event published
 * locally to the other nodes, which deliver it to their own subscribers.
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
}

export type Topic = keyof EventMap;
export type Handler<T extends Topic> = (payload: EventMap[T]) => void;

export interface EventBus {
  /** Delivers to local subscribers at once and, when bridged, to other nodes. */
  publish<T extends Topic>(topic: T, payload: EventMap[T]): void;
  /** Returns a function that unsubscribes. */
  subscribe<T extends Topic>(topic: T, handler: Handler<T>): () => void;
}

/** Something that relays bus events between nodes. */
export interface BusBridge {
  /** Sends a locally published event to the other nodes. */
  send(topic: Topic, payload: unknown): void;
  /** Starts relaying remote events into `deliver`. */
  start(deliver: (topic: Topic, payload: unknown) => void): Promise<void>;
  close(): Promise<void>;
}
