/**
 * `tessera serve`: run the authorization server. With `--workers N` (N > 1) this process becomes
 * the node:cluster primary (src/cluster.ts) and every worker re-runs this command as one server.
 */
import cluster from 'node:cluster';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, relative, resolve } from 'node:path';
import closeWithGrace from 'close-with-grace';
import { isShutdownMessage, prepareCluster, runPrimary, startFailedMessage } from '../../cluster.js';
import { DEV_CHOSEN_PORT_ENV, devIssuer } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { createClusterBridge } from '../../events/cluster-bridge.js';
import { createLogger } from '../../log.js';
import { databaseUrlOf, startServer } from '../../main.js';
import { serverInfoPath } from '../admin-client.js';
import { explained } from '../explain.js';

function describeAdmin(config: Readonly<Config>, effective: Readonly<Config>): string {
  if (config.adminToken !== undefined) {
    return 'admin API credential: TESSERA_ADMIN_TOKEN';
  }
  if (effective.adminToken !== undefined) {
    return `admin API credential in ${relative(process.cwd(), resolve(config.dataDir, 'admin.token')) || 'admin.token'}`;
  }
  return 'admin API closed (set TESSERA_ADMIN_TOKEN)';
}

function describeMetrics(metricsUrl: string | undefined): string {
  return metricsUrl === undefined ? '' : ` — metrics on ${metricsUrl}`;
}

/** Whether the issuer is the one `--dev` derives for port 0: `…:0`, a URL no client can reach. */
function needsDevPort(config: Readonly<Config>): boolean {
  return config.dev && config.port === 0 && config.issuer === devIssuer(config);
}

function onPort(config: Readonly<Config>, port: number): Readonly<Config> {
  return Object.freeze({ ...config, port, issuer: devIssuer({ ...config, port }) });
}

/** A port the kernel hands out on `host`, free a moment ago. */
function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * `--dev --port 0` with the issuer `--dev` derives: the issuer must be the URL clients reach
 * (RFC 8414 §3.3 and OpenID Connect Discovery §4.3 compare it with the discovery URL; every JWT's
 * `iss` is it), so the port is chosen before the server starts, not by its `listen`. A given
 * issuer or another port is left as it is. Workers take the port their primary chose from their
 * environment (config/load.ts, {@link DEV_CHOSEN_PORT_ENV}).
 */
async function withDevPort(config: Readonly<Config>): Promise<Readonly<Config>> {
  if (cluster.isWorker || !needsDevPort(config)) {
    return config;
  }
  return onPort(config, await kernelPort(config.host));
}

export async function runServe(loaded: Readonly<Config>): Promise<void> {
  const config = await withDevPort(loaded);
  if (cluster.isWorker) {
    await runWorker(config);
    return;
  }
  if (config.workers > 1) {
    await runClusterPrimary(
      config,
      config.port === loaded.port ? {} : { [DEV_CHOSEN_PORT_ENV]: String(config.port) },
    );
    return;
  }
  await runSingle(config);
}

async function runSingle(config: Readonly<Config>): Promise<void> {
  const server = await explained(databaseUrlOf(config), () => startServer(config));
  const infoPath = serverInfoPath(config);
  mkdirSync(dirname(infoPath), { recursive: true });
  writeFileSync(
    infoPath,
    `${JSON.stringify({ url: server.url, issuer: server.config.issuer, pid: process.pid })}\n`,
  );

  const mode = config.dev ? ' [dev mode: not for production]' : '';
  process.stdout.write(
    `Tessera is listening on ${server.url} — issuer ${server.config.issuer} — ${describeAdmin(config, server.config)}${describeMetrics(server.metricsUrl)}${mode}\n`,
  );

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err !== undefined) {
      server.logger.error({ err }, 'shutting down after an error');
    } else {
      server.logger.info({ signal }, 'shutting down');
    }
    await server.close();
    rmSync(infoPath, { force: true });
  });
}

async function runClusterPrimary(
  config: Readonly<Config>,
  workerEnv: Readonly<Record<string, string>>,
): Promise<void> {
  const logger = createLogger({ level: config.log.level });
  // Once, before any worker: migrations and signing keys (workers would race on them).
  const { applied } = await prepareCluster(config);
  if (applied.length > 0) {
    logger.info({ migrations: applied }, 'applied migrations');
  }
  const infoPath = serverInfoPath(config);
  mkdirSync(dirname(infoPath), { recursive: true });
  const mode = config.dev ? ' [dev mode: not for production]' : '';
  await runPrimary(config, {
    workers: config.workers,
    logger,
    workerEnv,
    infoPath,
    onListening(url, metricsUrl) {
      process.stdout.write(
        `Tessera is listening on ${url} with ${config.workers} workers — issuer ${config.issuer} — ${describeAdmin(config, config)}${describeMetrics(metricsUrl)}${mode}\n`,
      );
    },
  });
}

async function runWorker(config: Readonly<Config>): Promise<void> {
  // Listen for the primary from the start: a drain requested while this worker is still booting
  // (or a primary that is gone) must not be missed.
  let stop: (() => void) | undefined;
  let stopRequested = false;
  const requestStop = () => {
    stopRequested = true;
    stop?.();
  };
  process.on('message', (message) => {
    if (isShutdownMessage(message)) {
      requestStop();
    }
  });
  process.on('disconnect', requestStop);

  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, {
      clusterWorker: true,
      bridge: createClusterBridge(process, {
        onError: (error) =>
          server.logger.warn({ err: error }, 'could not relay a bus event to the other workers'),
      }),
    });
  } catch (error) {
    // The IPC channel (and the listeners above) would keep this process alive, serving nothing,
    // with the primary none the wiser: tell it why, then exit so it can restart or give up.
    await exitAfterFailedStart(error);
    return;
  }
  let closing = false;
  const grace = closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    closing = true;
    if (err !== undefined) {
      server.logger.error({ err }, 'worker shutting down after an error');
    } else {
      server.logger.info({ signal }, 'worker shutting down');
    }
    await server.close();
  });
  stop = () => {
    if (!closing) {
      void grace.close();
    }
  };
  if (stopRequested) {
    stop();
  }
}

async function exitAfterFailedStart(error: unknown): Promise<never> {
  const reason = error instanceof Error ? error.message : String(error);
  process.stderr.write(`tessera: worker (pid ${process.pid}) could not start: ${reason}\n`);
  await new Promise<void>((resolve) => {
    const fallback = setTimeout(resolve, 1000);
    if (process.send === undefined || !process.connected) {
      resolve();
      return;
    }
    process.send(startFailedMessage(reason), undefined, {}, () => {
      clearTimeout(fallback);
      resolve();
    });
  });
  process.exit(1);
}
