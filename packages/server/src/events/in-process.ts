import type { BusBridge, BusStatus, EventBus, EventMap, Handler, Topic } from './bus.js';

/**
 * The in-process bus. A handler that throws is reported to `onError` and never stops delivery to
 * the others. With a bridge, events published here are also sent to other nodes, and events that
 * arrive from them are delivered here.
 */
export function createInProcessBus(
  options: { onError?: (error: unknown, topic: Topic) => void } = {},
): EventBus & {
  attach(bridge: BusBridge): Promise<void>;
  /** The attached bridge's connection, or undefined without a bridge (one process). */
  bridgeStatus(): BusStatus | undefined;
} {
  const handlers = new Map<Topic, Set<(payload: unknown) => void>>();
  let bridge: BusBridge | undefined;

  function deliver(topic: Topic, payload: unknown): void {
    const set = handlers.get(topic);
    if (set === undefined) {
      return;
    }
    for (const handler of set) {
      try {
        handler(payload);
      } catch (error) {
        options.onError?.(error, topic);
      }
    }
  }

  return {
    publish<T extends Topic>(topic: T, payload: EventMap[T]): void {
      deliver(topic, payload);
      bridge?.send(topic, payload);
    },
    publishLocal<T extends Topic>(topic: T, payload: EventMap[T]): void {
      deliver(topic, payload);
    },
    subscribe<T extends Topic>(topic: T, handler: Handler<T>): () => void {
      let set = handlers.get(topic);
      if (set === undefined) {
        set = new Set();
        handlers.set(topic, set);
      }
      const entry = handler as (payload: unknown) => void;
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },
    async attach(next: BusBridge): Promise<void> {
      bridge = next;
      await next.start(deliver);
    },
    bridgeStatus(): BusStatus | undefined {
      if (bridge === undefined) {
        return undefined;
      }
      return bridge.status?.() ?? { connected: true, since: 0 };
    },
  };
}
