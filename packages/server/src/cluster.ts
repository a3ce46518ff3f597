/**
 * `tessera serve --workers N` (DESIGN §4: use every core). The primary process prepares the
 * database once — migrations, and a signing key per algorithm in use — so N workers starting
 * together never race to migrate or to mint keys; then it forks N workers that each run the whole
 * server on the same port (node:cluster shares the listening socket), restarts a worker that dies
 * (with exponential backoff, so a crash loop does not spin) and gives up — every worker drained,
 * the primary exiting non-zero with the reason — when one keeps dying, relays bus events between workers
 * when the database has no cross-node bus (events/cluster-bridge.ts), and on SIGTERM/SIGINT lets
 * every worker drain its requests before it exits. It also answers for the group's metrics
 * (cluster-metrics.ts): it merges the workers' registries for `/metrics` and serves
 * `metrics.listen` itself.
 */
import cluster, { type Worker } from 'node:cluster';
import { rmSync, writeFileSync } from 'node:fs';
import { systemClock } from './clock.js';
import { createPrimaryMetrics } from './cluster-metrics.js';
import { type Config, parseHostPort } from './config/schema.js';
import { relayBusMessage } from './events/cluster-bridge.js';
import { listenMetrics, type MetricsListener } from './http/metrics-listener.js';
import { createKeyring } from './keys/keyring.js';
import type { Logger } from './log.js';
import { openMigratedStore, resolveAdminToken, resolveMasterKey, resolvePreviousMasterKeys } from './main.js';

/** Clock skew tolerated when deciding how long retired keys stay published (as in main.ts). */
const SKEW_SECONDS = 300;
const MIN_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 10_000;
/** A worker that lived this long before dying was healthy: its next restart is immediate again. */
const HEALTHY_UPTIME_MS = 30_000;
/**
 * A worker that dies this many times in a row, each time within HEALTHY_UPTIME_MS of its start,
 * is not going to come up (a port taken, a database it cannot reach): the primary gives up and
 * exits non-zero so a supervisor (systemd, Kubernetes) sees the failure instead of a cluster that
 * looks alive and serves nothing. With the backoff above that is about 1.5 s of restarts.
 */
export const MAX_CONSECUTIVE_CRASHES = 5;
/** How long workers get to drain before they are killed (their own grace is 10 s). */
const DRAIN_TIMEOUT_MS = 15_000;

/** The primary asks a worker to drain and exit with this IPC message. */
const SHUTDOWN = 'tessera:shutdown';
/** A worker tells the primary why it could not start, just before it exits. */
const START_FAILED = 'tessera:start-failed';

export function isShutdownMessage(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { tag?: unknown }).tag === SHUTDOWN;
}

/** The IPC message a worker sends when its server could not start. */
export function startFailedMessage(reason: string): { tag: string; reason: string } {
  return { tag: START_FAILED, reason };
}

function startFailureReason(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) {
    return undefined;
  }
  const { tag, reason } = message as { tag?: unknown; reason?: unknown };
  return tag === START_FAILED && typeof reason === 'string' ? reason : undefined;
}

/** The primary gave up restarting a worker; the message says which and why. */
export class WorkerStartError extends Error {
  override readonly name = 'WorkerStartError';
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
  /** Added to every worker's environment (beside `TESSERA_WORKER_INDEX`). */
  workerEnv?: Readonly<Record<string, string>>;
  /** Written once every worker listens ({url, issuer, pid}); removed on shutdown. */
  infoPath?: string;
  /** Called once every worker listens (with the `metrics.listen` address when there is one). */
  onListening?(url: string, metricsUrl?: string): void;
}

interface Slot {
  index: number;
  worker: Worker | undefined;
  startedAt: number;
  crashes: number;
  timer: NodeJS.Timeout | undefined;
  /** What the worker last reported before dying (a failed start), for the give-up message. */
  lastFailure: string | undefined;
}

/**
 * Runs the primary: forks, relays, restarts and drains. Resolves once every worker has exited
 * after SIGTERM/SIGINT; rejects with {@link WorkerStartError} once every worker has exited after
 * the primary gave up on one that kept dying.
 */
export async function runPrimary(config: Readonly<Config>, options: PrimaryOptions): Promise<void> {
  const metrics = createPrimaryMetrics();
  const metricsAt = config.metrics.listen === undefined ? undefined : parseHostPort(config.metrics.listen);
  const listener: MetricsListener | undefined =
    metricsAt === undefined
      ? undefined
      : await listenMetrics({
          ...metricsAt,
          source: metrics,
          token: config.metrics.token,
          logger: options.logger,
        });
  try {
    await runWorkers(config, options, listener?.url);
  } finally {
    await listener?.close();
  }
}

function runWorkers(
  config: Readonly<Config>,
  options: PrimaryOptions,
  metricsUrl: string | undefined,
): Promise<void> {
  const { logger } = options;
  const slots: Slot[] = Array.from({ length: options.workers }, (_, index) => ({
    index,
    worker: undefined,
    startedAt: 0,
    crashes: 0,
    timer: undefined,
    lastFailure: undefined,
  }));
  const listening = new Set<number>();
  let announced = false;
  let stopping = false;
  let failure: WorkerStartError | undefined;

  function fork(slot: Slot): void {
    slot.timer = undefined;
    slot.lastFailure = undefined;
    slot.startedAt = Date.now();
    slot.worker = cluster.fork({ ...options.workerEnv, TESSERA_WORKER_INDEX: String(slot.index) });
    // Any other failure on the worker's channel (a send or kill that fails as it dies) would be an
    // 'error' event, which ends the primary when nothing listens; the 'exit' handler restarts it.
    slot.worker.on('error', (error) => {
      logger.warn({ err: error, worker: slot.index }, 'worker channel error');
    });
  }

  function slotOf(worker: Worker): Slot | undefined {
    return slots.find((slot) => slot.worker === worker);
  }

  cluster.on('message', (worker, message) => {
    const reason = startFailureReason(message);
    if (reason !== undefined) {
      const slot = slotOf(worker);
      if (slot !== undefined) {
        slot.lastFailure = reason;
      }
      return;
    }
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
      // Workers terminate TLS themselves when given a certificate (main.ts), so say https then:
      // the banner and server.json are how the CLI next to the server finds it.
      const scheme = config.tls.cert === undefined ? 'http' : 'https';
      const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
      if (options.infoPath !== undefined) {
        writeFileSync(
          options.infoPath,
          `${JSON.stringify({ url, issuer: config.issuer, pid: process.pid })}\n`,
        );
      }
      options.onListening?.(url, metricsUrl);
    }
  });

  return new Promise<void>((resolve, reject) => {
    const finish = () => {
      process.removeListener('SIGTERM', stop);
      process.removeListener('SIGINT', stop);
      if (failure === undefined) {
        resolve();
      } else {
        reject(failure);
      }
    };

    cluster.on('exit', (worker, code, signal) => {
      const slot = slotOf(worker);
      if (slot === undefined) {
        return;
      }
      slot.worker = undefined;
      listening.delete(slot.index);
      if (stopping) {
        if (slots.every((s) => s.worker === undefined)) {
          finish();
        }
        return;
      }
      slot.crashes = Date.now() - slot.startedAt > HEALTHY_UPTIME_MS ? 1 : slot.crashes + 1;
      if (slot.crashes >= MAX_CONSECUTIVE_CRASHES) {
        const why = slot.lastFailure ?? `last exit: ${signal ?? `code ${code}`}`;
        failure = new WorkerStartError(
          `worker ${slot.index} died ${slot.crashes} times in a row within ${HEALTHY_UPTIME_MS / 1000} s of starting; giving up (${why})`,
        );
        logger.error(
          { worker: slot.index, workerPid: worker.process.pid, code, signal, crashes: slot.crashes },
          'worker keeps dying; giving up and stopping the cluster',
        );
        stop('SIGTERM');
        return;
      }
      const delay = restartDelayMs(slot.crashes);
      logger.error(
        { worker: slot.index, workerPid: worker.process.pid, code, signal, restartInMs: delay },
        'worker exited; restarting',
      );
      slot.timer = setTimeout(() => fork(slot), delay);
    });

    function stop(signal: NodeJS.Signals): void {
      if (stopping) {
        return;
      }
      stopping = true;
      if (failure === undefined) {
        logger.info({ signal, workers: slots.length }, 'shutting down: draining workers');
      }
      for (const slot of slots) {
        if (slot.timer !== undefined) {
          clearTimeout(slot.timer);
          slot.timer = undefined;
        }
        // A message rather than a signal: a terminal's Ctrl-C or systemd's SIGTERM has often reached
        // the workers already (same process group), and a second signal would cut their draining.
        if (slot.worker?.isConnected() === true) {
          // A worker dying as it is told fails the send (EPIPE): its exit is handled on 'exit'.
          slot.worker.send({ tag: SHUTDOWN }, () => {});
        }
      }
      if (slots.every((s) => s.worker === undefined)) {
        finish();
        return;
      }
      setTimeout(() => {
        for (const slot of slots) {
          slot.worker?.process.kill('SIGKILL');
        }
      }, DRAIN_TIMEOUT_MS).unref();
    }
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);

    for (const slot of slots) {
      fork(slot);
    }
  }).finally(() => {
    if (options.infoPath !== undefined) {
      rmSync(options.infoPath, { force: true });
    }
  });
}
