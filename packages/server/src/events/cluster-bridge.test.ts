import { EventEmitter } from 'node:events';
import type { RevocationEvent } from '@tessera/protocol';
import { describe, expect, it } from 'vitest';
import { restartDelayMs } from '../cluster.js';
import {
  createClusterBridge,
  isBusEnvelope,
  type RelayTarget,
  relayBusMessage,
  type WorkerChannel,
} from './cluster-bridge.js';
import { createInProcessBus } from './in-process.js';

/**
 * A fake node:cluster: each worker's `process` is an EventEmitter whose `send` goes to the primary,
 * which relays with `relayBusMessage` exactly as cluster.ts does; `worker.send` emits `message` on
 * the worker side. Delivery is synchronous here, which is all the bridge needs.
 */
function fakeCluster(count: number) {
  const channels: (EventEmitter & WorkerChannel)[] = [];
  const targets: (RelayTarget & { connected: boolean })[] = [];
  for (let id = 1; id <= count; id += 1) {
    const channel = new EventEmitter() as EventEmitter & WorkerChannel & { connected: boolean };
    channel.connected = true;
    const target = {
      id,
      connected: true,
      isConnected() {
        return this.connected;
      },
      send(message: unknown) {
        channel.emit('message', structuredClone(message));
        return true;
      },
    };
    (channel as { send: WorkerChannel['send'] }).send = (message, callback) => {
      relayBusMessage(structuredClone(message), id, targets);
      callback?.(null);
      return true;
    };
    channels.push(channel);
    targets.push(target);
  }
  return { channels, targets };
}

async function workerBus(channel: WorkerChannel) {
  const bus = createInProcessBus();
  const bridge = createClusterBridge(channel);
  await bus.attach(bridge);
  return { bus, bridge };
}

describe('cluster bus bridge (serve --workers N on SQLite)', () => {
  it('an event published in one worker reaches the other workers once, and not itself twice', async () => {
    const { channels } = fakeCluster(3);
    const workers = await Promise.all(channels.map(workerBus));
    const received = workers.map(() => [] as unknown[]);
    workers.forEach(({ bus }, i) => {
      bus.subscribe('client.updated', (payload) => received[i]?.push(payload));
    });

    workers[0]?.bus.publish('client.updated', { clientId: 'cli_a' });

    expect(received).toEqual([[{ clientId: 'cli_a' }], [{ clientId: 'cli_a' }], [{ clientId: 'cli_a' }]]);
  });

  it('a revocation in one worker reaches the denylist subscribers of every other worker', async () => {
    const { channels } = fakeCluster(2);
    const [a, b] = await Promise.all(channels.map(workerBus));
    const seen: unknown[] = [];
    b?.bus.subscribe('revocation.created', (event) => seen.push(event));
    const event: RevocationEvent = {
      id: 7,
      target: { type: 'jti', value: 'jti_x' },
      revokedAt: 1,
      expiresAt: 2,
    };

    a?.bus.publish('revocation.created', event);

    expect(seen).toEqual([event]);
  });

  it('after close, relayed events are no longer delivered', async () => {
    const { channels } = fakeCluster(2);
    const [a, b] = await Promise.all(channels.map(workerBus));
    const seen: unknown[] = [];
    b?.bus.subscribe('client.deleted', (payload) => seen.push(payload));
    await b?.bridge.close();

    a?.bus.publish('client.deleted', { clientId: 'cli_gone' });

    expect(seen).toEqual([]);
  });

  it('a worker whose IPC channel is closed publishes locally and sends nothing', async () => {
    const channel = new EventEmitter() as EventEmitter & WorkerChannel & { connected: boolean };
    channel.connected = false;
    const sent: unknown[] = [];
    (channel as { send: WorkerChannel['send'] }).send = (message) => {
      sent.push(message);
      return true;
    };
    const { bus } = await workerBus(channel);
    const local: unknown[] = [];
    bus.subscribe('user.updated', (payload) => local.push(payload));

    bus.publish('user.updated', { userId: 'usr_1' });

    expect(local).toEqual([{ userId: 'usr_1' }]);
    expect(sent).toEqual([]);
  });

  it('the primary relays only bus envelopes, and skips disconnected workers', () => {
    const sent: number[] = [];
    const target = (id: number, connected: boolean): RelayTarget => ({
      id,
      isConnected: () => connected,
      send: () => {
        sent.push(id);
        return true;
      },
    });
    const workers = [target(1, true), target(2, true), target(3, false), undefined];

    expect(relayBusMessage({ cmd: 'NODE_CLUSTER' }, 1, workers)).toBe(false);
    expect(relayBusMessage('text', 1, workers)).toBe(false);
    expect(sent).toEqual([]);

    expect(
      relayBusMessage(
        { tag: 'tessera:bus', topic: 'client.updated', payload: { clientId: 'c' } },
        1,
        workers,
      ),
    ).toBe(true);
    expect(sent).toEqual([2]);
    expect(isBusEnvelope({ tag: 'tessera:bus', topic: 'x' })).toBe(false);
  });
});

describe('relaying to a worker that is dying (found in CI: the primary ended with an unhandled EPIPE)', () => {
  it("a failed send goes to a callback, never to an 'error' event the primary does not listen to", () => {
    // As Node's ChildProcess send: a failed write is given to the callback when there is one, and
    // is otherwise emitted as 'error' (which throws with no listener).
    const channel = new EventEmitter();
    const dying: RelayTarget = {
      id: 2,
      isConnected: () => true,
      send(_message, callback) {
        const error = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
        if (callback !== undefined) {
          callback(error);
        } else {
          channel.emit('error', error);
        }
        return false;
      },
    };
    const delivered: number[] = [];
    const healthy = { id: 3, isConnected: () => true, send: () => delivered.push(3) > 0 };
    expect(() =>
      relayBusMessage({ tag: 'tessera:bus', topic: 'client.updated', payload: {} }, 1, [dying, healthy]),
    ).not.toThrow();
    expect(delivered).toEqual([3]);
  });
});

describe('cluster bus bridge status (issue 20 item 6: the bus connection in /readyz)', () => {
  it('reports connected while the IPC channel is up and listened to, down once it closes or is closed', async () => {
    const { channels } = fakeCluster(1);
    const channel = channels[0] as EventEmitter & WorkerChannel & { connected: boolean };
    const { bus, bridge } = await workerBus(channel);
    expect(bus.bridgeStatus()?.connected).toBe(true);
    channel.connected = false;
    expect(bus.bridgeStatus()?.connected).toBe(false);
    channel.connected = true;
    await bridge.close();
    expect(bridge.status?.().connected).toBe(false);
  });

  it('a bus without a bridge reports no bus at all (one process has no connection to lose)', () => {
    expect(createInProcessBus().bridgeStatus()).toBeUndefined();
  });
});

describe('worker restart backoff', () => {
  it('doubles from 100 ms per consecutive crash and stops at 10 s', () => {
    expect([1, 2, 3, 4, 5].map(restartDelayMs)).toEqual([100, 200, 400, 800, 1600]);
    expect(restartDelayMs(8)).toBe(10_000);
    expect(restartDelayMs(1000)).toBe(10_000);
  });
});
