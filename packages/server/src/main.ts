/**
 * The composition root (DESIGN §2): the only module that picks concrete adapters and wires
 * dependencies: config → store → bus → keys → core services (built in compose/, which only this
 * file imports) → frozen token registries → http features, which only register routes.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { noGeo, VELOCITY_RETENTION } from '@tessera/risk';
import type { FastifyInstance } from 'fastify';
import { type AuditLog, createAuditLog } from './audit/audit-log.js';
import { registerAuditMetrics } from './audit/audit-metrics.js';
import { createStatsCounters, STATS_RETENTION_SECONDS, type StatsCounters } from './audit/stats-counters.js';
import { registerStatsMetrics } from './audit/stats-metrics.js';
import { type Clock, systemClock } from './clock.js';
import { workerMetricsSource } from './cluster-metrics.js';
import { composeApiKeys } from './compose/api-keys.js';
import { composeConsole } from './compose/console.js';
import type { Core } from './compose/core.js';
import { composeDevice } from './compose/device.js';
import { composeOAuthCore } from './compose/oauth-core.js';
import { composePasskeys } from './compose/passkeys.js';
import { composeSiwe } from './compose/siwe.js';
import { buildTokenRegistries, type TokenRegistries } from './compose/token-registries.js';
import { composeUserGrants } from './compose/user-grants.js';
import { composeUsers } from './compose/users.js';
import { ConfigError, decodeMasterKey } from './config/load.js';
import { type Config, parseHostPort } from './config/schema.js';
import type { BusBridge, EventBus } from './events/bus.js';
import { createInProcessBus } from './events/in-process.js';
import { createAdminTokensFeature } from './http/admin/admin-tokens.js';
import { createClientsFeature } from './http/admin/clients.js';
import { createOpenApiFeature } from './http/admin/openapi.js';
import { createSigningKeyRevokeFeature } from './http/admin/signing-key-revoke.js';
import { buildApp, issuerOf } from './http/app.js';
import type { HttpFeature } from './http/feature.js';
import { createAccountFeature } from './http/features/account.js';
import { createApiKeysFeature } from './http/features/api-keys.js';
import { createAuditFeature } from './http/features/audit.js';
import { createClientRegistrationFeature } from './http/features/client-registration.js';
import { createDeviceFeature } from './http/features/device.js';
import { createLoginFeature, type LoginFeatureDeps, loginFlowOf } from './http/features/login.js';
import { createMfaFeature } from './http/features/mfa.js';
import { createOAuthCoreFeature } from './http/features/oauth-core.js';
import { createOperatorsFeature } from './http/features/operators.js';
import { createRevocationStreamFeature } from './http/features/revocation-stream.js';
import { createRiskReportsFeature } from './http/features/risk-reports.js';
import { createSsfFeature } from './http/features/ssf.js';
import { createStatsFeature } from './http/features/stats.js';
import { listenMetrics } from './http/metrics-listener.js';
import { type AdminActorRegistry, createAdminActorRegistry } from './http/plugins/admin-auth.js';
import {
  createMetrics,
  type Metrics,
  registerReplicationMetrics,
  registrySource,
} from './http/plugins/metrics.js';
import { createCallerLimit, createRateLimiter } from './http/plugins/rate-limit.js';
import { mintSecret, newId } from './ids.js';
import { createKeyring, type Keyring } from './keys/keyring.js';
import { UnsealError } from './keys/seal.js';
import { loadServerSecret } from './keys/server-secrets.js';
import { createLogger, type Logger } from './log.js';
import { createMaintenanceJob, type MaintenanceJob } from './maintenance/maintenance-job.js';
import { createMaintenanceMetrics } from './maintenance/maintenance-metrics.js';
import { createInteractionSealer } from './oauth/authorize/interaction.js';
import type { ClientAuthMethods } from './oauth/client-auth/client-authenticator.js';
import { createDidKeyResolver } from './oauth/client-resolution/did.js';
import { createClientService, createSectorIdentifierCheck } from './oauth/clients/index.js';
import { createClientRegistration } from './oauth/clients/registration.js';
import { createDpopProofValidator } from './oauth/dpop/proof-validator.js';
import {
  createJwtAccessTokenIntrospector,
  createOpaqueAccessTokenIntrospector,
} from './oauth/introspection.js';
import { idTokenAlgorithms } from './oauth/oidc/id-token.js';
import {
  type ChosenSubjectOf,
  createChosenSubjectOf,
  createSubjectOf,
  initialPairwiseKey,
  PAIRWISE_SECRET,
  type SubjectOf,
} from './oauth/oidc/pairwise.js';
import { type OpenStoreOptions, openStore } from './store/open-store.js';
import type { Store } from './store/ports.js';
import { createNotifyBridge } from './store/postgres/notify-bridge.js';
import {
  type AdminTokenService,
  createAdminTokenService,
} from './tokens/admin-tokens/admin-token-service.js';
import { allowsAdminScope } from './tokens/admin-tokens/scopes.js';
import { createAccountExport } from './users/account-export.js';
import { ACR_MFA } from './users/authn/context.js';
import { createDidLinking } from './users/authn/did-link.js';
import { passkeyFactor } from './users/authn/passkey-factor.js';
import { openGeoDatabases } from './users/geo-database.js';
import { createLinkedIdentifiers } from './users/linked-identifiers.js';
import { adminAudienceOf, createOperatorTokens, type OperatorTokens } from './users/operator-tokens.js';
import type { PasswordHasher } from './users/password-hasher.js';
import type { RiskState } from './users/risk-state.js';
import { createSubjectChoices } from './users/subject-choices.js';
import { createTokenUseReports } from './users/token-use-reports.js';

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
  /** The prom-client registry behind `/metrics`. */
  metrics: Metrics;
  /** The usage counters behind `GET /admin/stats` (tests flush them). */
  stats: StatsCounters;
  /** The purge job for expired rows (tests run a pass with `run()`). */
  maintenance: MaintenanceJob;
  /** The frozen registries the OAuth endpoints dispatch on (tests check they are complete). */
  registries: Readonly<Registries>;
  /** The `sub` a client sees for a person (OIDC Core §8; tests compare it across restarts). */
  subjectOf: SubjectOf;
  /** The risk engine's stored state (`risk.enabled`; tests call `sync()`). */
  riskState?: RiskState;
  /** Drains in-flight requests, stops timers and closes the store. */
  close(): Promise<void>;
}

/** The token registries and the client-authentication methods, each built once and frozen. */
export interface Registries extends TokenRegistries {
  clientAuthMethods: ClientAuthMethods;
}

/** What the HTTP features are built with, and the frozen token registries they dispatch on. */
interface Composition {
  features: HttpFeature[];
  registries: Readonly<Registries>;
  /** People with an admin role, calling the admin API with their access token. */
  operators: OperatorTokens;
  /** The risk engine's stored state (`risk.enabled`). */
  riskState?: RiskState;
}

/**
 * Builds every service, then the token registries (complete, frozen), then the HTTP features that
 * only register routes. Each feature owns its routes and its discovery entries; order matters only
 * for route conflicts (there are none).
 */
function compose(core: Core, adminTokens: AdminTokenService, actors: AdminActorRegistry): Composition {
  const { config } = core;
  const window = config.rateLimit.window;
  const callerLimit = (limit: number, subject: string, policy: string) =>
    createCallerLimit({ limit, window, subject, policy });

  // Services first: nothing below adds to what an endpoint captured.
  const oauth = composeOAuthCore(core);
  registerReplicationMetrics(core.metrics, {
    revocations: () => oauth.revocations.syncState(),
    bus: core.busStatus,
  });
  // With `revocations`, deleting or disabling a client also revokes the tokens it holds, at the
  // verifiers too (DESIGN §5).
  const clients = createClientService({
    store: core.store,
    bus: core.bus,
    clock: core.clock,
    audit: core.audit,
    config,
    idTokenAlgorithms: idTokenAlgorithms(config),
    revocations: oauth.revocations,
    credentialChanges: oauth.credentialChanges,
    checkSectorIdentifier: createSectorIdentifierCheck(oauth.outboundFetch),
  });
  // The geo files are read once, for sign-in risk and API-key anomalies alike.
  const geo =
    config.risk.geoDatabase === undefined && config.risk.asnDatabase === undefined
      ? noGeo
      : openGeoDatabases(config.risk, core.logger);
  const apiKeys = composeApiKeys(core, oauth, geo);
  // Before the people: a passkey is one of the second factors the login flow asks for.
  const { passkeys } = composePasskeys(core, oauth);
  const people = composeUsers(core, {
    revocations: oauth.revocations,
    credentialChanges: oauth.credentialChanges,
    revokeApiKeysOf: (owner, actor) => apiKeys.apiKeys.revokeOwnedBy(owner, { actor }),
    geo,
    extraFactors: [passkeyFactor(passkeys)],
  });
  // Introspectors and revokers are asked in this order: access tokens, API keys, refresh tokens.
  const tokenRegistries = buildTokenRegistries([
    oauth.contributions,
    apiKeys.contributions,
    composeUserGrants(core, oauth),
  ]);
  const registries: Readonly<Registries> = Object.freeze({
    ...tokenRegistries,
    clientAuthMethods: oauth.authMethods,
  });

  const features: HttpFeature[] = [];
  // /token, /introspect, /revoke, /admin/tokens/revoke.
  features.push(
    createOAuthCoreFeature({
      issuer: core.issuer,
      authenticate: oauth.authenticate,
      grants: registries.grants,
      introspectors: registries.introspectors,
      revokers: registries.revokers,
      revocations: oauth.revocations,
      store: core.store,
      clock: core.clock,
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
        perUnregisteredClient: createRateLimiter({
          limit: config.clients.unregisteredRateLimit,
          window,
          subject: 'token requests from this unregistered client',
          policy: 'token_unregistered',
        }),
        introspect: callerLimit(
          config.rateLimit.introspect,
          'introspection requests from this caller',
          'introspect',
        ),
        revoke: callerLimit(config.rateLimit.revoke, 'revocation requests from this caller', 'revoke'),
      },
      authMethods: [...registries.clientAuthMethods.keys()],
      dpop: oauth.dpop,
      onClose: () => oauth.clients.close(),
    }),
  );

  // The admin API document: its route collector is installed before any admin route exists.
  features.push(createOpenApiFeature());

  // /admin/clients.
  features.push(createClientsFeature({ clients, clock: core.clock }));

  // /register (RFC 7591/7592) and the discovery entries of clients without prior registration.
  features.push(
    createClientRegistrationFeature({
      registration: createClientRegistration({
        clients,
        issuer: core.issuer,
        policy: oauth.unregisteredPolicy,
        clock: core.clock,
      }),
      policy: config.clients.registration,
      metadataDocuments: config.clients.metadataDocuments,
      isInitialAccessToken: async (token) => {
        const principal = await adminTokens.authenticate(token);
        return principal !== undefined && allowsAdminScope(principal.scopes, 'clients:register');
      },
      limit: createRateLimiter({
        limit: config.clients.unregisteredRateLimit,
        window,
        subject: 'registrations from this address',
        policy: 'register_ip',
      }),
    }),
  );

  // POST /api-keys/verify and /admin/api-keys; tsr_key_… at /introspect is in the registries.
  features.push(
    createApiKeysFeature({
      issuer: core.issuer,
      apiKeys: apiKeys.apiKeys,
      clock: core.clock,
      authenticate: oauth.authenticate,
      // Proofs of bound keys were made for the API, so Tessera's own nonces do not apply to them.
      dpop: createDpopProofValidator({
        clock: core.clock,
        replay: core.store,
        algorithms: config.dpop.signingAlgorithms,
        window: config.dpop.proofWindow,
      }),
      limit: callerLimit(
        config.rateLimit.apiKeyVerify,
        'API-key verifications from this caller',
        'api_key_verify',
      ),
    }),
  );

  const siwe = config.siwe.enabled ? composeSiwe(core) : undefined;
  // /authorize, login and consent pages, /userinfo, /end-session, /admin/users, /admin/sessions.
  const login: LoginFeatureDeps = {
    config,
    issuer: core.issuer,
    dpop: oauth.dpop,
    store: core.store,
    keyring: core.keyring,
    clock: core.clock,
    audit: core.audit,
    clients: oauth.clients,
    ...people,
    sealer: createInteractionSealer(core.masterKey, config.login.interactionTtl),
    verifyAccessToken: oauth.verifyAccessToken,
    subjectOf: core.subjectOf,
    revocations: oauth.revocations,
    userinfoLimit: callerLimit(config.rateLimit.userinfo, 'userinfo requests from this caller', 'userinfo'),
    passkeys,
    ...(siwe === undefined ? {} : { siwe }),
  };
  features.push(createLoginFeature(login));

  // RFC 8628: POST /device_authorization and the /device pages, which sign people in through the
  // login above; the device_code grant is in the registries.
  const device = composeDevice(core);
  features.push(
    createDeviceFeature({
      issuer: core.issuer,
      authenticate: oauth.authenticate,
      ...device,
      login: loginFlowOf(login),
      attempts: core.store,
      limits: {
        perIp: createRateLimiter({
          limit: config.rateLimit.tokenPerIp,
          window,
          subject: 'device authorization requests from this address',
          policy: 'device_ip',
        }),
        perClient: createRateLimiter({
          limit: config.rateLimit.tokenPerClient,
          window,
          subject: 'device authorization requests from this client',
          policy: 'device_client',
        }),
      },
      codeEntry: {
        freeAttempts: config.device.freeAttempts,
        maxBackoff: config.login.maxBackoff,
        ticketTtl: config.login.interactionTtl,
      },
    }),
  );

  // /account (profile, password, passkeys, sessions, connected applications, personal API keys),
  // /account/login, the page scripts, /admin/users/{id}/passkeys.
  features.push(
    createAccountFeature({
      issuer: core.issuer,
      sessions: people.sessions,
      users: people.users,
      consents: people.consents,
      throttle: people.throttle,
      passkeys,
      clients: oauth.clients,
      apiKeys: apiKeys.apiKeys,
      store: core.store,
      audit: core.audit,
      clock: core.clock,
      sessionMaxAge: config.login.sessionMaxAge,
      secondFactors: people.mfa.secondFactors,
      masterKey: core.masterKey,
      subjectOf: core.subjectOf,
      subjectChoices: createSubjectChoices({
        store: core.store,
        clients: oauth.clients,
        chosenSubjectOf: core.chosenSubjectOf,
        revocations: oauth.revocations,
        audit: core.audit,
        clock: core.clock,
        maxAccessTokenTtl: config.tokens.maxAccessTokenTtl,
      }),
      identifiers: createLinkedIdentifiers({ store: core.store, audit: core.audit }),
      ...(siwe === undefined ? {} : { siwe }),
      ...(config.account.didMethods.length === 0
        ? {}
        : {
            didLinking: {
              service: createDidLinking({
                dids: createDidKeyResolver({
                  methods: config.account.didMethods,
                  fetch: oauth.outboundFetch,
                }),
                store: core.store,
                masterKey: core.masterKey,
                issuer: core.issuer,
                clock: core.clock,
                audit: core.audit,
                onUnresolved: (did, reason) => core.logger.info({ did, reason }, 'DID to link not resolved'),
              }),
              issuer: core.issuer,
              methods: config.account.didMethods,
            },
          }),
      freshAuth: config.login.mfaFreshAuth,
      exportAccount: createAccountExport({
        store: core.store,
        secondFactors: people.mfa.secondFactors,
        clock: core.clock,
        ...(people.riskState === undefined ? {} : { riskHistory: people.riskState.summary }),
      }),
      ...(people.risk === undefined ? {} : { risk: people.risk }),
    }),
  );

  // /account/security/totp (authenticator app) and /admin/users/{id}/mfa/reset.
  features.push(
    createMfaFeature({
      issuer: core.issuer,
      users: people.users,
      sessions: people.sessions,
      mfa: people.mfa,
      clock: core.clock,
      config,
    }),
  );

  // Pulling a compromised signing key: POST /admin/signing-keys/:kid/revoke, streamed as a `key`
  // revocation so verifiers refuse its tokens too.
  features.push(
    createSigningKeyRevokeFeature({
      keyring: core.keyring,
      revocations: oauth.revocations,
      bus: core.bus,
      clock: core.clock,
      audit: core.audit,
      horizon: Math.max(config.tokens.maxAccessTokenTtl, config.oidc.idTokenTtl) + SKEW_SECONDS,
    }),
  );

  // GET /revocations/stream, Server-Sent Events for @tessera/verify (DESIGN §5); it relays the
  // bus's revocation.created, which carries other nodes' events too.
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
        perClient: config.revocationStream.maxStreamsPerClient,
        total: config.revocationStream.maxStreams,
      },
    }),
  );

  // OpenID SSF 1.0: CAEP events as SETs, polled per RFC 8936, with /.well-known/ssf-configuration.
  features.push(
    createSsfFeature({
      issuer: core.issuer,
      authenticate: oauth.authenticate,
      transmitter: oauth.ssf,
      bus: core.bus,
      longPollWaitMs: config.ssf.longPollWait * 1000,
    }),
  );

  // POST /risk/reports: verifiers' continuous-authentication reports end replayed tokens' sessions.
  if (config.risk.enabled) {
    const reports = createTokenUseReports({
      // Reports' tokens and uses' proofs count only when introspection would answer them active.
      accessTokens: [
        createJwtAccessTokenIntrospector({
          verify: oauth.verifyAccessToken,
          revocations: oauth.revocations,
          clients: oauth.clients,
        }),
        createOpaqueAccessTokenIntrospector({
          issuer: core.issuer,
          store: core.store,
          revocations: oauth.revocations,
          clients: oauth.clients,
          clock: core.clock,
        }),
      ],
      sessions: people.sessions,
      store: core.store,
      revocations: oauth.revocations,
      audit: core.audit,
      clock: core.clock,
      stepUpAcr: ACR_MFA,
      maxAccessTokenTtl: config.tokens.maxAccessTokenTtl,
      sessionMaxAge: config.login.sessionMaxAge,
      log: core.logger,
    });
    features.push(
      createRiskReportsFeature({ issuer: core.issuer, authenticate: oauth.authenticate, reports }),
    );
  }

  // GET /admin/stats: the usage counters of every node, for the console's charts.
  features.push(createStatsFeature({ store: core.store, stats: core.stats, clock: core.clock }));

  // Operators: /admin/users/{id}/admin, and their access tokens (for the admin API's own audience).
  features.push(createOperatorsFeature({ users: people.users, actors }));
  // GET /admin/audit: the audit log, for operators and the console.
  features.push(createAuditFeature({ store: core.store }));
  const operators = createOperatorTokens({
    verifyAccessToken: oauth.verifyAccessToken,
    revocations: oauth.revocations,
    users: core.store,
    audience: adminAudienceOf(core.issuer),
    requireMfa: config.console.requireMfa,
  });

  return {
    features,
    registries,
    operators,
    ...(people.riskState === undefined ? {} : { riskState: people.riskState }),
  };
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
  /**
   * This process is a worker of `serve --workers N`: `/metrics` answers for the whole process
   * group (asking the primary), and the primary, not this worker, serves `metrics.listen`.
   */
  clusterWorker?: boolean;
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

/** OIDC Core §8.1: the pairwise key is a stored server secret, so it survives master-key rotation. */
async function loadSubjectOf(
  store: Store,
  config: Readonly<Config>,
  masterKey: Buffer,
): Promise<{ subjectOf: SubjectOf; chosenSubjectOf: ChosenSubjectOf }> {
  try {
    const key = await loadServerSecret(
      store,
      PAIRWISE_SECRET,
      [masterKey, ...resolvePreviousMasterKeys(config)],
      async () => initialPairwiseKey(),
    );
    return { subjectOf: createSubjectOf(key), chosenSubjectOf: createChosenSubjectOf(key) };
  } catch (error) {
    if (error instanceof UnsealError) {
      throw new ConfigError(
        `The master key does not open the stored pairwise subject key: TESSERA_MASTER_KEY is not the key this database was created with (${error.message}).`,
      );
    }
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
      // Access tokens sign with keys.algorithm, ID tokens with oidc.idTokenAlgorithm (RS256 by
      // default) or, per client, with keys.algorithm too.
      await keyring.load([...new Set([config.keys.algorithm, ...idTokenAlgorithms(config)])]);
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
    const stats = createStatsCounters({ store, clock, logger });
    registerStatsMetrics(metrics.registry, stats);
    const maintenance = createMaintenanceJob({
      store,
      clock,
      logger,
      auditRetention: config.audit.retention,
      statsRetention: STATS_RETENTION_SECONDS,
      riskVelocity: VELOCITY_RETENTION,
      batchSize: config.maintenance.batchSize,
      intervalMs: config.maintenance.interval * 1000,
      onPurged: createMaintenanceMetrics(metrics.registry),
    });
    const core: Core = {
      config: effective,
      issuer: issuerOf(effective),
      masterKey,
      ...(await loadSubjectOf(store, config, masterKey)),
      ...(options.passwordHasher === undefined ? {} : { passwordHasher: options.passwordHasher }),
      store,
      keyring,
      bus,
      clock,
      logger,
      audit,
      metrics,
      stats,
      busStatus: () => bus.bridgeStatus(),
    };
    const { features, registries, operators, riskState } = compose(core, adminTokens, adminActors);
    // /console: the first-party console client is ensured before the first request.
    const consoleFeature = await composeConsole(core);
    if (consoleFeature !== undefined) {
      features.push(consoleFeature);
    }
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
      stats,
      ...(options.clusterWorker === true ? { metricsSource: workerMetricsSource(metrics.registry) } : {}),
      features,
      adminAuth: { adminTokens, audit, actors: adminActors, operators },
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
      metrics,
      stats,
      maintenance,
      registries,
      subjectOf: core.subjectOf,
      ...(riskState === undefined ? {} : { riskState }),
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
        await riskState?.close();
        await audit.close();
        await stats.close();
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
): Promise<Runtime & { url: string; metricsUrl?: string }> {
  const runtime = await createRuntime(config, options);
  let address: string;
  let metricsUrl: string | undefined;
  let close = runtime.close;
  try {
    address = await runtime.app.listen({ host: config.host, port: config.port });
    const metricsAt = config.metrics.listen === undefined ? undefined : parseHostPort(config.metrics.listen);
    if (metricsAt !== undefined && options.clusterWorker !== true) {
      const listener = await listenMetrics({
        ...metricsAt,
        source: registrySource(runtime.metrics.registry),
        token: config.metrics.token,
        logger: runtime.logger,
      });
      metricsUrl = listener.url;
      close = async () => {
        await listener.close();
        await runtime.close();
      };
    }
  } catch (error) {
    // A port in use (or not ours to bind) must not leave the store and timers open behind it.
    await runtime.close();
    throw error;
  }
  return {
    ...runtime,
    close,
    url: address,
    config: runtime.config,
    ...(metricsUrl === undefined ? {} : { metricsUrl }),
  };
}

export { issuerOf };
