/**
 * `tessera serve --workers N` (DESIGN §4: use every core). The primary process prepares the
 * database once — migrations, and a signing key per algorithm in use — so N workers starting
 * together never race to migrate or to mint keys; then it forks N workers that each run the whole
 * server on the same port (node:cluster shares the listening socket), restarts a worker that dies
 * (with exponential backoff, so a crash loop does not spin), relays bus events between workers
 * when the database has no cross-node bus (events/cluster-bridge.ts), and on SIGTERM/SIGINT lets
 * every worker drain its requests before it exits.
 */
import cluster, { type Worker } from 'node:cluster';
import { rmSync, writeFileSync } from 'node:fs';
import { systemClock } from './clock.js';
import type { Config } from './config/schema.js';
import { relayBusMessage } from './events/cluster-bridge.js';
import { createKeyring } from './keys/keyring.js';
import type { Logger } from './log.js';
import { openMigratedStore, resolveAdminToken, resolveMasterKey, resolvePreviousMasterKeys } from './main.js';

/** Clock skew tolerated when deciding how long retired keys stay published (as in main.ts). */
const SKEW_SECONDS = 300;
const MIN_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 10_000;
/** A worker that lived this long before dying was healthy: its next restart is immediate again. */
const HEALTHY_UPTIME_MS = 30_000;
/** How long workers get to drain before they are killed (their own grace is 10 s). */
const DRAIN_TIMEOUT_MS = 15_000;

/** The primary asks a worker to drain and exit with this IPC message. */
const SHUTDOWN = 'tessera:shutdown';

export function isShutdownMessage(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { tag?: unknown }).tag === SHUTDOWN;
}

/** Delay before restarting a worker that has crashed `consecutiveCrashes` times in a row (≥ 1). */
export function restartDelayMs(consecutiveCrashes: number): number {
  const exponent = Math.max(0, consecutiveCrashes - 1);
  return Math.min(MAX_RESTART_DELAY_MS, MIN_RESTART_DELAY_MS * 2 ** Math.min(exponent, 20));
}

/**
 * Everything that must happen once before workers start: migrate, and make sure a signing key
 * exists for the configured algorithm (in --dev, also create the master key and admin token files).
 */
export async function prepareCluster(config: Readonly<Config>): Promise<{ applied: string[] }> {
  const masterKey = resolveMasterKey(config);
  resolveAdminToken(config);
  const { store, applied } = await openMigratedStore(config);
  try {
    const keyring = createKeyring({
      store,
      clock: systemClock,
      masterKey,
      previousMasterKeys: resolvePreviousMasterKeys(config),
      activationDelay: config.keys.activationDelay,
      retention: config.tokens.maxAccessTokenTtl + SKEW_SECONDS,
    });
    await keyring.load([config.keys.algorithm]);
  } finally {
    await store.close();
  }
  return { applied };
}

export interface PrimaryOptions {
  workers: number;
  logger: Logger;
  /** Written once every worker listens ({url, issuer, pid}); removed on shutdown. */
  infoPath?: string;
  /** Called once every worker listens. */
  onListening?(url: string): void;
}

interface Slot {
  index: number;
  worker: Worker | undefined;
  startedAt: number;
  crashes: number;
  timer: NodeJS.Timeout | undefined;
}

/** Runs the primary: forks, relays, restarts and drains. Resolves once every worker has exited. */
export function runPrimary(config: Readonly<Config>, options: PrimaryOptions): Promise<void> {
  const { logger } = options;
  const slots: Slot[] = Array.from({ length: options.workers }, (_, index) => ({
    index,
    worker: undefined,
    startedAt: 0,
    crashes: 0,
    timer: undefined,
  }));
  const listening = new Set<number>();
  let announced = false;
  let stopping = false;

  function fork(slot: Slot): void {
    slot.timer = undefined;
    slot.startedAt = Date.now();
    slot.worker = cluster.fork({ TESSERA_WORKER_INDEX: String(slot.index) });
  }

  function slotOf(worker: Worker): Slot | undefined {
    return slots.find((slot) => slot.worker === worker);
  }

  cluster.on('message', (worker, message) => {
    relayBusMessage(message, worker.id, Object.values(cluster.workers ?? {}));
  });

  cluster.on('listening', (worker, address) => {
    const slot = slotOf(worker);
    if (slot === undefined) {
      return;
    }
    listening.add(slot.index);
    if (!announced && !stopping && listening.size === slots.length) {
      announced = true;
      const host = address.address === undefined || address.address === null ? config.host : address.address;
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
      if (options.infoPath !== undefined) {
        writeFileSync(
          options.infoPath,
          `${JSON.stringify({ url, issuer: config.issuer, pid: process.pid })}\n`,
        );
      }
      options.onListening?.(url);
    }
  });

  return new Promise<void>((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
      const slot = slotOf(worker);
      if (slot === undefined) {
        return;
      }
      slot.worker = undefined;
      listening.delete(slot.index);
      if (stopping) {
        if (slots.every((s) => s.worker === undefined)) {
          resolve();
        }
        return;
      }
      slot.crashes = Date.now() - slot.startedAt > HEALTHY_UPTIME_MS ? 1 : slot.crashes + 1;
      const delay = restartDelayMs(slot.crashes);
      logger.error(
        { worker: slot.index, workerPid: worker.process.pid, code, signal, restartInMs: delay },
        'worker exited; restarting',
      );
      slot.timer = setTimeout(() => fork(slot), delay);
    });

    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        return;
      }
      stopping = true;
      logger.info({ signal, workers: slots.length }, 'shutting down: draining workers');
      for (const slot of slots) {
        if (slot.timer !== undefined) {
          clearTimeout(slot.timer);
          slot.timer = undefined;
        }
        // A message rather than a signal: a terminal's Ctrl-C or systemd's SIGTERM has often reached
        // the workers already (same process group), and a second signal would cut their draining.
        if (slot.worker?.isConnected() === true) {
          slot.worker.send({ tag: SHUTDOWN });
        }
      }
      if (slots.every((s) => s.worker === undefined)) {
        resolve();
        return;
      }
      setTimeout(() => {
        for (const slot of slots) {
          slot.worker?.process.kill('SIGKILL');
        }
      }, DRAIN_TIMEOUT_MS).unref();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);

    for (const slot of slots) {
      fork(slot);
    }
  }).then(() => {
    if (options.infoPath !== undefined) {
      rmSync(options.infoPath, { force: true });
    }
  });
}
