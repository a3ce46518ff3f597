/**
 * The composition root (DESIGN §2): the only module that picks concrete adapters and wires
 * dependencies: config → store → bus → keys → core → http.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type AuditLog, createAuditLog } from './audit/audit-log.js';
import { registerAuditMetrics } from './audit/audit-metrics.js';
import { type Clock, systemClock } from './clock.js';
import { ConfigError, decodeMasterKey } from './config/load.js';
import type { Config } from './config/schema.js';
import type { BusBridge, BusStatus, EventBus } from './events/bus.js';
import { createInProcessBus } from './events/in-process.js';
import { createAdminTokensFeature } from './http/admin/admin-tokens.js';
import { createClientsFeature } from './http/admin/clients.js';
import { createOpenApiFeature } from './http/admin/openapi.js';
import { createSigningKeyRevokeFeature } from './http/admin/signing-key-revoke.js';
import { buildApp, issuerOf } from './http/app.js';
import type { HttpFeature } from './http/feature.js';
import { createApiKeysFeature } from './http/features/api-keys.js';
import { createLogin } from './http/features/login.js';
import { createOAuthCoreFeature } from './http/features/oauth-core.js';
import { createRevocationStreamFeature } from './http/features/revocation-stream.js';
import { createAdminActorRegistry } from './http/plugins/admin-auth.js';
import { createMetrics, type Metrics, registerReplicationMetrics } from './http/plugins/metrics.js';
import { createCallerLimit, createRateLimiter } from './http/plugins/rate-limit.js';
import { mintSecret, newId } from './ids.js';
import { createKeyring, type Keyring } from './keys/keyring.js';
import { UnsealError } from './keys/seal.js';
import { createLogger, type Logger } from './log.js';
import { createMaintenanceJob, type MaintenanceJob } from './maintenance/maintenance-job.js';
import { createMaintenanceMetrics } from './maintenance/maintenance-metrics.js';
import { createClientAuthenticator } from './oauth/client-auth/client-authenticator.js';
import { createClientAuthBackoff } from './oauth/client-auth/failure-backoff.js';
import type { AuthenticateClient } from './oauth/client-auth/index.js';
import { createJwksUriFetch } from './oauth/client-auth/jwks-uri-fetch.js';
import { type ClientRegistry, createClientRegistry } from './oauth/client-registry.js';
import { createClientService } from './oauth/clients/index.js';
import { createClientCredentialsGrant } from './oauth/grants/client-credentials.js';
import type { Grant } from './oauth/grants/index.js';
import {
  createJwtAccessTokenIntrospector,
  createOpaqueAccessTokenIntrospector,
  type Introspector,
} from './oauth/introspection.js';
import {
  createJwtAccessTokenRevoker,
  createOpaqueAccessTokenRevoker,
  type Revoker,
} from './oauth/revocation.js';
import { type OpenStoreOptions, openStore } from './store/open-store.js';
import type { Store } from './store/ports.js';
import { createNotifyBridge } from './store/postgres/notify-bridge.js';
import { type AccessTokenService, createAccessTokenService } from './tokens/access-token.js';
import { createAdminTokenService } from './tokens/admin-tokens/admin-token-service.js';
import { createApiKeyIntrospector, createApiKeyService, createOwnerStatus } from './tokens/api-keys/index.js';
import { createRevocations, type RevocationDenylist } from './tokens/revocations.js';
import { type AccessTokenVerifier, createAccessTokenVerifier } from './tokens/verify-access-token.js';
import type { PasswordHasher } from './users/password-hasher.js';

/** Clock skew tolerated when deciding how long retired keys stay published. */
const SKEW_SECONDS = 300;

export interface Runtime {
  config: Readonly<Config>;
  store: Store;
  keyring: Keyring;
  app: FastifyInstance;
  logger: Logger;
  /** The event bus (tests subscribe to check what a change published). */
  bus: EventBus;
  /** The audit trail (tests flush it to read what was recorded). */
  audit: AuditLog;
  /** The purge job for expired rows (tests run a pass with `run()`). */
  maintenance: MaintenanceJob;
  /** Drains in-flight requests, stops timers and closes the store. */
  close(): Promise<void>;
}

/** Everything the core services are built from. */
export interface Core {
  config: Readonly<Config>;
  issuer: string;
  /** Seals signing keys at rest and keys the sealed sign-in state (never logged). */
  masterKey: Buffer;
  /** Checks human passwords (argon2id unless a test injects one); bounded per process. */
  passwordHasher?: PasswordHasher;
  store: Store;
  keyring: Keyring;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  metrics: Metrics;
  /** The cross-node bus connection (undefined without a bridge). */
  busStatus: () => BusStatus | undefined;
}

/**
 * The OAuth core services (issue 3), shared by every feature that issues, checks or revokes tokens.
 * `grants`, `introspectors` and `revokers` are registries other features add to (inside
 * buildFeatures, before the app is built): refresh tokens, API keys, authorization codes.
 */
export interface OAuthCore {
  clients: ClientRegistry;
  authenticate: AuthenticateClient;
  accessTokens: AccessTokenService;
  verifyAccessToken: AccessTokenVerifier;
  revocations: RevocationDenylist;
  grants: Map<string, Grant>;
  introspectors: Introspector[];
  revokers: Revoker[];
  feature: HttpFeature;
}

function createOAuthCore(core: Core): OAuthCore {
  const { config, issuer, store, bus, clock, keyring } = core;
  const clients = createClientRegistry({ store, bus });
  // The poll reads revocations other nodes made, should the bus have missed them (issue 11 item 2).
  const revocations = createRevocations({
    store,
    bus,
    clock,
    pollIntervalMs: config.revocations.pollInterval * 1000,
    onError: (error) =>
      core.logger.warn({ err: error }, 'revocation replay failed; retried on the next poll'),
    busDownMs: () => {
      const status = core.busStatus();
      return status === undefined || status.connected ? undefined : Date.now() - status.since;
    },
  });
  const authenticate = createClientAuthenticator({
    clients,
    replay: store,
    clock,
    issuer,
    tokenEndpoint: `${issuer}/token`,
    backoff: createClientAuthBackoff({
      store,
      clock,
      freeFailures: config.rateLimit.clientAuthFreeFailures,
      maxBackoff: config.rateLimit.clientAuthMaxBackoff,
    }),
    remoteJwks: {
      timeoutMs: config.clients.jwksFetchTimeout * 1000,
      fetch: createJwksUriFetch({
        allowPrivate: config.clients.allowPrivateJwksUri,
        maxBytes: config.clients.jwksMaxBytes,
        timeoutMs: config.clients.jwksFetchTimeout * 1000,
      }),
    },
  });
  const accessTokens = createAccessTokenService({
    issuer,
    keyring,
    algorithm: config.keys.algorithm,
    clock,
    store,
    ttl: { default: config.tokens.accessTokenTtl, max: config.tokens.maxAccessTokenTtl },
  });
  const verifyAccessToken = createAccessTokenVerifier({ issuer, keyring, clock });
  const clientCredentials = createClientCredentialsGrant({
    issuer,
    accessTokens,
    onIssued: ({ format }) => core.metrics.tokensIssued.inc({ grant_type: 'client_credentials', format }),
  });
  const grants = new Map<string, Grant>([[clientCredentials.grantType, clientCredentials]]);
  const introspectors: Introspector[] = [
    createJwtAccessTokenIntrospector({ verify: verifyAccessToken, revocations, clients }),
    createOpaqueAccessTokenIntrospector({ issuer, store, revocations, clients, clock }),
  ];
  const revokers: Revoker[] = [
    createJwtAccessTokenRevoker({ verify: verifyAccessToken, revocations, audit: core.audit }),
    createOpaqueAccessTokenRevoker({ store, clock, revocations, audit: core.audit }),
  ];
  const window = config.rateLimit.window;
  const feature = createOAuthCoreFeature({
    issuer,
    authenticate,
    grants,
    introspectors,
    revokers,
    revocations,
    store,
    clock,
    audit: core.audit,
    maxAccessTokenTtl: config.tokens.maxAccessTokenTtl,
    limits: {
      perIp: createRateLimiter({
        limit: config.rateLimit.tokenPerIp,
        window,
        subject: 'token requests from this address',
        policy: 'token_ip',
      }),
      perClient: createRateLimiter({
        limit: config.rateLimit.tokenPerClient,
        window,
        subject: 'token requests from this client',
        policy: 'token_client',
      }),
      introspect: createCallerLimit({
        limit: config.rateLimit.introspect,
        window,
        subject: 'introspection requests from this caller',
        policy: 'introspect',
      }),
      revoke: createCallerLimit({
        limit: config.rateLimit.revoke,
        window,
        subject: 'revocation requests from this caller',
        policy: 'revoke',
      }),
    },
    authMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    onClose: () => clients.close(),
  });
  return {
    clients,
    authenticate,
    accessTokens,
    verifyAccessToken,
    revocations,
    grants,
    introspectors,
    revokers,
    feature,
  };
}

/**
 * The protocol features of the server, wired from the core. Each feature owns its routes and its
 * discovery entries; order matters only for route conflicts (there are none).
 */
function buildFeatures(core: Core): HttpFeature[] {
  const features: HttpFeature[] = [];

  // OAuth core (issue 3): /token, /introspect, /revoke, /admin/tokens/revoke.
  const oauth = createOAuthCore(core);
  features.push(oauth.feature);
  registerReplicationMetrics(core.metrics, {
    revocations: () => oauth.revocations.syncState(),
    bus: core.busStatus,
  });

  // Admin API document (issue 3): its route collector is installed before any admin route exists.
  features.push(createOpenApiFeature());

  // Client management (issue 3): /admin/clients. With `revocations`, deleting or disabling a client
  // also revokes the tokens it holds, at the verifiers too (DESIGN §5).
  const clients = createClientService({
    store: core.store,
    bus: core.bus,
    clock: core.clock,
    audit: core.audit,
    config: core.config,
    revocations: oauth.revocations,
  });
  features.push(createClientsFeature({ clients, clock: core.clock }));

  const apiKeyOwners = createOwnerStatus({
    findClient: (id) => oauth.clients.get(id),
    findUser: (id) => core.store.findUser(id),
    bus: core.bus,
  });
  // API keys (issue 4): POST /api-keys/verify, /admin/api-keys, and tsr_key_… at /introspect.
  // Revocations go through the core's denylist, so they are streamed to verifiers (DESIGN §5).
  const apiKeys = createApiKeyService({
    store: core.store,
    revocations: oauth.revocations,
    bus: core.bus,
    clock: core.clock,
    audit: core.audit,
    logger: core.logger,
    // Keys of a disabled or deleted client or user answer `disabled`, on every node at once
    // (client.updated / user.updated on the bus evict the cached owner).
    isOwnerActive: (owner) => apiKeyOwners.isActive(owner),
    options: {
      rotationGrace: core.config.apiKeys.rotationGrace,
      revocationRetention: core.config.tokens.maxAccessTokenTtl,
      flushIntervalMs: Math.max(1, core.config.apiKeys.usageFlushInterval) * 1000,
    },
  });
  oauth.introspectors.push(createApiKeyIntrospector({ service: apiKeys, issuer: core.issuer }));
  features.push(
    createApiKeysFeature({
      issuer: core.issuer,
      apiKeys,
      clock: core.clock,
      authenticate: oauth.authenticate,
      limit: createCallerLimit({
        limit: core.config.rateLimit.apiKeyVerify,
        window: core.config.rateLimit.window,
        subject: 'API-key verifications from this caller',
        policy: 'api_key_verify',
      }),
    }),
  );

  // Users and login (issue 6): /authorize, login and consent pages, /userinfo, /end-session,
  // /admin/users, /admin/sessions; the authorization_code and refresh_token grants and refresh
  // tokens at /introspect and /revoke join the OAuth core's registries.
  const login = createLogin({
    config: core.config,
    issuer: core.issuer,
    store: core.store,
    keyring: core.keyring,
    bus: core.bus,
    clock: core.clock,
    audit: core.audit,
    masterKey: core.masterKey,
    ...(core.passwordHasher === undefined ? {} : { passwordHasher: core.passwordHasher }),
    clients: oauth.clients,
    accessTokens: oauth.accessTokens,
    verifyAccessToken: oauth.verifyAccessToken,
    revocations: oauth.revocations,
    onIssued: (grantType, format) => core.metrics.tokensIssued.inc({ grant_type: grantType, format }),
    logger: core.logger,
    revokeApiKeysOf: (owner, actor) => apiKeys.revokeOwnedBy(owner, { actor }),
    userinfoLimit: createCallerLimit({
      limit: core.config.rateLimit.userinfo,
      window: core.config.rateLimit.window,
      subject: 'userinfo requests from this caller',
      policy: 'userinfo',
    }),
  });
  for (const grant of login.grants) {
    oauth.grants.set(grant.grantType, grant);
  }
  oauth.introspectors.push(...login.introspectors);
  oauth.revokers.push(...login.revokers);
  features.push(login.feature);

  // Pulling a compromised signing key: POST /admin/signing-keys/:kid/revoke, streamed as a `key`
  // revocation so verifiers refuse its tokens too.
  features.push(
    createSigningKeyRevokeFeature({
      keyring: core.keyring,
      revocations: oauth.revocations,
      bus: core.bus,
      clock: core.clock,
      audit: core.audit,
      horizon: Math.max(core.config.tokens.maxAccessTokenTtl, core.config.oidc.idTokenTtl) + SKEW_SECONDS,
    }),
  );

  // Revocation stream (issue 5): GET /revocations/stream, Server-Sent Events for @tessera/verify
  // (DESIGN §5); it relays the bus's revocation.created, which carries other nodes' events too.
  features.push(
    createRevocationStreamFeature({
      issuer: core.issuer,
      authenticate: oauth.authenticate,
      store: core.store,
      bus: core.bus,
      clock: core.clock,
      onConnection: ({ clientId, open }) => core.logger.info({ clientId, open }, 'revocation stream'),
      registry: core.metrics.registry,
      limits: {
        perClient: core.config.revocationStream.maxStreamsPerClient,
        total: core.config.revocationStream.maxStreams,
      },
    }),
  );

  return features;
}

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
  /** Node id for the cross-node bus (default: random). */
  nodeId?: string;
  /**
   * Relays bus events to sibling processes when the database has no cross-node bus (SQLite):
   * the cluster bridge of `serve --workers N`. Ignored with PostgreSQL, whose bridge already
   * reaches every process.
   */
  bridge?: BusBridge;
  /** The argon2id hasher by default; tests pass one that counts or holds verifications. */
  passwordHasher?: PasswordHasher;
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
  const text =
    config.masterKey ??
    (config.dev ? devSecretFile(config, 'master.key', () => randomBytes(32).toString('hex')) : undefined);
  const key = text === undefined ? undefined : decodeMasterKey(text);
  if (key === undefined) {
    throw new ConfigError(
      'masterKey (TESSERA_MASTER_KEY) is missing or malformed: expected 32 bytes as 64 hex characters.',
    );
  }
  return key;
}

/** The master key being replaced (masterKeyPrevious), still accepted to open signing keys. */
export function resolvePreviousMasterKeys(config: Readonly<Config>): Buffer[] {
  const key = config.masterKeyPrevious === undefined ? undefined : decodeMasterKey(config.masterKeyPrevious);
  return key === undefined ? [] : [key];
}

/** The admin token: configured, or in --dev generated into DATA_DIR/admin.token. */
export function resolveAdminToken(config: Readonly<Config>): string | undefined {
  return (
    config.adminToken ??
    (config.dev ? devSecretFile(config, 'admin.token', () => mintSecret('adm')) : undefined)
  );
}

/** How the store named by the configuration is opened: its schema and its fault bounds. */
function storeOptionsOf(config: Readonly<Config>, logger?: Logger): OpenStoreOptions {
  const { schema, connectTimeout, statementTimeout, lockTimeout } = config.database;
  return {
    ...(schema === undefined ? {} : { schema }),
    postgres: {
      connectTimeoutMs: connectTimeout,
      statementTimeoutMs: statementTimeout,
      // A dropped connection is replaced by the pool; the request it served already failed.
      onConnectionError: (error) => logger?.warn({ err: error }, 'database connection lost'),
    },
    sqlite: { lockTimeoutMs: lockTimeout },
  };
}

/** Opens the store named by the configuration and applies pending migrations. */
export async function openMigratedStore(
  config: Readonly<Config>,
  logger?: Logger,
): Promise<{ store: Store; applied: string[] }> {
  const url = databaseUrlOf(config);
  const store = await openStore(url, storeOptionsOf(config, logger));
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
  const effective: Readonly<Config> =
    adminToken === config.adminToken ? config : Object.freeze({ ...config, adminToken });

  const { store } = await openMigratedStore(config, logger);
  const bus = createInProcessBus({
    onError: (error, topic) => logger.error({ err: error, topic }, 'event handler failed'),
  });
  const timers: NodeJS.Timeout[] = [];
  let bridgeClose: (() => Promise<void>) | undefined;
  try {
    const url = databaseUrlOf(config);
    if (isPostgresUrl(url)) {
      const bridge = createNotifyBridge(url, {
        nodeId: options.nodeId ?? newId('req'),
        ...(config.database.schema === undefined ? {} : { schema: config.database.schema }),
      });
      await bus.attach(bridge);
      bridgeClose = () => bridge.close();
    } else if (options.bridge !== undefined) {
      const bridge = options.bridge;
      await bus.attach(bridge);
      bridgeClose = () => bridge.close();
    }

    const keyring = createKeyring({
      store,
      clock,
      masterKey,
      previousMasterKeys: resolvePreviousMasterKeys(config),
      activationDelay: config.keys.activationDelay,
      retention: config.tokens.maxAccessTokenTtl + SKEW_SECONDS,
    });
    try {
      // Access tokens sign with keys.algorithm, ID tokens with oidc.idTokenAlgorithm (RS256 by default).
      await keyring.load([...new Set([config.keys.algorithm, config.oidc.idTokenAlgorithm])]);
    } catch (error) {
      if (error instanceof UnsealError) {
        throw new ConfigError(
          `The master key does not open the stored signing keys: TESSERA_MASTER_KEY is not the key this database was created with (${error.message}).`,
        );
      }
      throw error;
    }
    bus.subscribe('signing_key.rotated', () => {
      keyring.reload().catch((error: unknown) => logger.error({ err: error }, 'signing key reload failed'));
    });
    // A key pulled on any node leaves this node's JWKS and verification at once, before the reload.
    bus.subscribe('signing_key.revoked', ({ kid }) => keyring.forget(kid));
    bus.subscribe('revocation.created', (event) => {
      if (event.target.type === 'key') {
        keyring.forget(event.target.value);
      }
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
    const adminActors = createAdminActorRegistry();
    const audit = createAuditLog({
      store,
      clock,
      logger,
      maxBuffered: config.audit.maxBuffered,
      actorOf: (id) => adminActors.actorOf(id),
    });
    const adminTokens = createAdminTokenService({ store, clock, audit });
    registerAuditMetrics(metrics.registry, audit);
    const maintenance = createMaintenanceJob({
      store,
      clock,
      logger,
      auditRetention: config.audit.retention,
      batchSize: config.maintenance.batchSize,
      intervalMs: config.maintenance.interval * 1000,
      onPurged: createMaintenanceMetrics(metrics.registry),
    });
    const core: Core = {
      config: effective,
      issuer: issuerOf(effective),
      masterKey,
      ...(options.passwordHasher === undefined ? {} : { passwordHasher: options.passwordHasher }),
      store,
      keyring,
      bus,
      clock,
      logger,
      audit,
      metrics,
      busStatus: () => bus.bridgeStatus(),
    };
    const features = buildFeatures(core);
    // Admin credentials (tsr_adm_…): /admin/admin-tokens.
    features.push(createAdminTokensFeature({ adminTokens, actors: adminActors }));
    const app = await buildApp({
      config: effective,
      store,
      keyring,
      bus,
      clock,
      logger,
      metrics,
      features,
      adminAuth: { adminTokens, audit, actors: adminActors },
      https,
      busStatus: core.busStatus,
    });
    maintenance.start();

    let closed = false;
    return {
      config: effective,
      store,
      keyring,
      app,
      logger,
      bus,
      audit,
      maintenance,
      async close() {
        if (closed) {
          return;
        }
        closed = true;
        for (const timer of timers) {
          clearInterval(timer);
        }
        await app.close();
        await maintenance.close();
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
export async function startServer(
  config: Readonly<Config>,
  options: StartOptions = {},
): Promise<Runtime & { url: string }> {
  const runtime = await createRuntime(config, options);
  let address: string;
  try {
    address = await runtime.app.listen({ host: config.host, port: config.port });
  } catch (error) {
    // A port in use (or not ours to bind) must not leave the store and timers open behind it.
    await runtime.close();
    throw error;
  }
  return { ...runtime, url: address, config: runtime.config };
}

export { issuerOf };
