/**
 * The composition root (DESIGN §2): the only module that picks concrete adapters and wires
 * dependencies: config → store → bus → keys → core → http.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Clock, systemClock } from './clock.js';
import { ConfigError, decodeMasterKey } from './config/load.js';
import type { Config } from './config/schema.js';
import { type AuditLog, createAuditLog } from './audit/audit-log.js';
import type { EventBus } from './events/bus.js';
import { createInProcessBus } from './events/in-process.js';
import { buildApp, issuerOf } from './http/app.js';
import type { HttpFeature } from './http/feature.js';
import { createMetrics, type Metrics } from './http/plugins/metrics.js';
import { newId } from './ids.js';
import { createKeyring, type Keyring } from './keys/keyring.js';
import { UnsealError } from './keys/seal.js';
import { createLogger, type Logger } from './log.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/ports.js';
import { createNotifyBridge } from './store/postgres/notify-bridge.js';

/** Clock skew tolerated when deciding how long retired keys stay published. */
const SKEW_SECONDS = 300;

export interface Runtime {
  config: Readonly<Config>;
  store: Store;
  keyring: Keyring;
  app: FastifyInstance;
  logger: Logger;
  /** Drains in-flight requests, stops timers and closes the store. */
  close(): Promise<void>;
}

/** Everything the core services are built from. */
export interface Core {
  config: Readonly<Config>;
  issuer: string;
  store: Store;
  keyring: Keyring;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  metrics: Metrics;
}

/**
 * The protocol features of the server, wired from the core. Each feature owns its routes and its
 * discovery entries; order matters only for route conflicts (there are none).
 */
function buildFeatures(_core: Core): HttpFeature[] {
  return [];
}

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
  /** Node id for the cross-node bus (default: random). */
  nodeId?: string;
}

function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export function databaseUrlOf(config: Readonly<Config>): string {
  return config.database.url ?? join(resolve(config.dataDir), 'tessera.db');
}

/** In --dev, reads or creates a 0600 file in the data folder holding a generated secret. */
function devSecretFile(config: Readonly<Config>, name: string, make: () => string): string {
  const dir = resolve(config.dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  if (!existsSync(path)) {
    writeFileSync(path, `${make()}\n`, { mode: 0o600, flag: 'wx' });
  }
  chmodSync(path, 0o600);
  return readFileSync(path, 'utf8').trim();
}

/** The master key: configured, or in --dev generated into DATA_DIR/master.key. */
export function resolveMasterKey(config: Readonly<Config>): Buffer {
  const text = config.masterKey ?? (config.dev ? devSecretFile(config, 'master.key', () => randomBytes(32).toString('hex')) : undefined);
  const key = text === undefined ? undefined : decodeMasterKey(text);
  if (key === undefined) {
    throw new ConfigError('masterKey (TESSERA_MASTER_KEY) is missing or malformed: expected 32 bytes as 64 hex characters.');
  }
  return key;
}

/** The admin token: configured, or in --dev generated into DATA_DIR/admin.token. */
export function resolveAdminToken(config: Readonly<Config>): string | undefined {
  return config.adminToken ?? (config.dev ? devSecretFile(config, 'admin.token', () => randomBytes(32).toString('base64url')) : undefined);
}

/** Opens the store named by the configuration and applies pending migrations. */
export async function openMigratedStore(config: Readonly<Config>): Promise<{ store: Store; applied: string[] }> {
  const url = databaseUrlOf(config);
  const store = await openStore(url);
  try {
    return { store, applied: await store.migrate() };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Builds every dependency and the app, without listening. */
export async function createRuntime(config: Readonly<Config>, options: StartOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const clock = options.clock ?? systemClock;
  const masterKey = resolveMasterKey(config);
  const adminToken = resolveAdminToken(config);
  const effective: Readonly<Config> = adminToken === config.adminToken ? config : Object.freeze({ ...config, adminToken });

  const { store } = await openMigratedStore(config);
  const bus = createInProcessBus({ onError: (error, topic) => logger.error({ err: error, topic }, 'event handler failed') });
  const timers: NodeJS.Timeout[] = [];
  let bridgeClose: (() => Promise<void>) | undefined;
  try {
    const url = databaseUrlOf(config);
    if (isPostgresUrl(url)) {
      const bridge = createNotifyBridge(url, { nodeId: options.nodeId ?? newId('req') });
      await bus.attach(bridge);
      bridgeClose = () => bridge.close();
    }

    const keyring = createKeyring({
      store,
      clock,
      masterKey,
      activationDelay: config.keys.activationDelay,
      retention: config.tokens.maxAccessTokenTtl + SKEW_SECONDS,
    });
    try {
      await keyring.load([config.keys.algorithm]);
    } catch (error) {
      if (error instanceof UnsealError) {
        throw new ConfigError(
          'The master key does not open the stored signing keys: TESSERA_MASTER_KEY is not the key this database was created with.',
        );
      }
      throw error;
    }
    bus.subscribe('signing_key.rotated', () => {
      keyring.reload().catch((error: unknown) => logger.error({ err: error }, 'signing key reload failed'));
    });
    // Another node may rotate keys or retire them; re-read them every minute as a safety net.
    timers.push(
      setInterval(() => {
        keyring.reload().catch((error: unknown) => logger.error({ err: error }, 'signing key reload failed'));
      }, 60_000).unref(),
    );

    const https =
      config.tls.cert !== undefined && config.tls.key !== undefined
        ? { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) }
        : undefined;
    const metrics = createMetrics();
    const audit = createAuditLog({ store, clock, logger });
    const core: Core = { config: effective, issuer: issuerOf(effective), store, keyring, bus, clock, logger, audit, metrics };
    const features = buildFeatures(core);
    const app = await buildApp({ config: effective, store, keyring, bus, clock, logger, metrics, features, https });

    let closed = false;
    return {
      config: effective,
      store,
      keyring,
      app,
      logger,
      async close() {
        if (closed) {
          return;
        }
        closed = true;
        for (const timer of timers) {
          clearInterval(timer);
        }
        await app.close();
        await audit.close();
        await bridgeClose?.();
        await store.close();
      },
    };
  } catch (error) {
    for (const timer of timers) {
      clearInterval(timer);
    }
    await bridgeClose?.();
    await store.close();
    throw error;
  }
}

/** Starts listening; resolves with the runtime and the address it listens on. */
export async function startServer(config: Readonly<Config>, options: StartOptions = {}): Promise<Runtime & { url: string }> {
  const runtime = await createRuntime(config, options);
  const address = await runtime.app.listen({ host: config.host, port: config.port });
  return { ...runtime, url: address, config: runtime.config };
}

export { issuerOf };
