/**
 * Builds the Fastify application from its dependencies and never listens (STYLE §9.10 habit 6):
 * tests drive it with `inject()`, `main.ts` calls `listen()`.
 */

import { METHODS } from 'node:http';
import { OAuthError } from '@tessera/protocol';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type HTTPMethods,
} from 'fastify';
import type { StatsCounters } from '../audit/stats-counters.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { BusStatus, EventBus } from '../events/bus.js';
import { newId } from '../ids.js';
import type { Keyring } from '../keys/keyring.js';
import type { Logger } from '../log.js';
import { type Capabilities, createCapabilities } from '../oauth/discovery.js';
import type { Store } from '../store/ports.js';
import { registerSigningKeyRoutes } from './admin/signing-keys.js';
import type { HttpFeature } from './feature.js';
import { loadPageLook } from './pages/page-look.js';
import { AccessLogController } from './plugins/access-log.js';
import { type AdminAuthDeps, requireAdmin } from './plugins/admin-auth.js';
import { clientErrorHandler } from './plugins/client-error.js';
import { registerFormBody } from './plugins/form-body.js';
import { registerJsonBody } from './plugins/json-body.js';
import { type Metrics, type MetricsSource, registerMetrics } from './plugins/metrics.js';
import {
  addressLimitHook,
  createRateLimiter,
  type RateLimiter,
  registerRouteRateLimits,
} from './plugins/rate-limit.js';
import { registerRequestGuard } from './plugins/request-guard.js';
import { lazyChildLogger } from './plugins/request-logger.js';
import { securityHeadersFor } from './plugins/security-headers.js';
import { registerDiscovery } from './public/discovery.js';
import { registerHealth, within } from './public/health.js';
import { registerJwks } from './public/jwks.js';
import { registerPageFiles } from './public/page-files.js';
import { renderError, toOAuthError } from './render-error.js';

export interface AppDeps {
  config: Readonly<Config>;
  store: Store;
  keyring: Keyring;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Usage counters for the console's charts: rejections by code, 429s, introspections. */
  stats: Pick<StatsCounters, 'add'>;
  /** What `GET /metrics` answers with (default: this process's registry). */
  metricsSource?: MetricsSource;
  /** The protocol features (token endpoint, introspection, …), built by main.ts. */
  features?: HttpFeature[];
  /** Admin tokens, the audit trail and the request → principal registry for the admin API. */
  adminAuth?: Omit<AdminAuthDeps, 'bootstrapToken'>;
  /** PEM certificate and key when the server terminates TLS itself. */
  https?: { cert: Buffer; key: Buffer } | undefined;
  /** The cross-node bus connection, reported by `/readyz` (undefined without a bridge). */
  busStatus?: () => BusStatus | undefined;
}

/** The issuer every route works with (always set once the config is loaded). */
export function issuerOf(config: Readonly<Config>): string {
  if (config.issuer === undefined) {
    throw new Error('issuer is not configured');
  }
  return config.issuer;
}

/**
 * Fastify's `trustProxy` from ours. A hop count trusts that many addresses from the socket
 * outward (proxy-addr's index 0 is the socket's peer), so with 1 the client is the rightmost
 * X-Forwarded-For entry, the one the proxy itself appended; entries a client forged stay to its left.
 */
function trustProxyOf(
  setting: Config['trustProxy'],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}

/** The per-address limits routes name in `config.rateLimit`. */
function addressLimitsOf(config: Readonly<Config>): ReadonlyMap<string, RateLimiter> {
  const { window } = config.rateLimit;
  return new Map([
    [
      'authorize',
      createRateLimiter({
        limit: config.rateLimit.authorize,
        window,
        subject: 'authorization requests from this address',
        policy: 'authorize',
      }),
    ],
    [
      'end_session',
      createRateLimiter({
        limit: config.rateLimit.endSession,
        window,
        subject: 'logout requests from this address',
        policy: 'end_session',
      }),
    ],
    [
      'admin',
      createRateLimiter({
        limit: config.rateLimit.admin,
        window,
        subject: 'admin requests from this address',
        policy: 'admin',
      }),
    ],
  ]);
}

/**
 * Longest a client may take to send a whole request, headers and body (Node's `requestTimeout`).
 * Fastify's default is 0, no limit: a client that sends the headers and then holds the body back
 * (slowloris) kept its connection and request forever. Past it the request gets 408
 * (client-error.ts). It bounds receiving only: a long response, like the revocation stream, is not cut.
 */
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The methods some route answers at `path` (Fastify adds HEAD beside each GET), leaving out those
 * whose route only answers 405 (`refused`: "METHOD /path" of routes with `config.refusesMethod`).
 */
function allowedMethods(app: FastifyInstance, refused: ReadonlySet<string>, path: string): string[] {
  return METHODS.filter(
    (method) =>
      app.findRoute({ method: method as HTTPMethods, url: path }) !== null &&
      !refused.has(`${method} ${path}`),
  );
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const issuer = issuerOf(config);
  const accessLog = new AccessLogController({ requestIdLogLabel: 'requestId' });
  const errorContext = { realm: issuer };
  const securityHeaders = securityHeadersFor({ https: issuer.startsWith('https:') });
  /** Counts the refusal by the code it answers, then renders it (render-error.ts). */
  function answerError(raw: unknown, request: FastifyRequest, reply: FastifyReply) {
    const error = toOAuthError(raw);
    deps.metrics.errors.inc({ code: error.code });
    deps.stats.add('rejections', error.code);
    return renderError.call(errorContext, error, request, reply);
  }
  const app = Fastify({
    loggerInstance: deps.logger,
    logController: accessLog,
    childLoggerFactory: lazyChildLogger,
    genReqId: () => newId('req'),
    requestIdHeader: false,
    bodyLimit: config.http.bodyLimit,
    requestTimeout: REQUEST_TIMEOUT_MS,
    trustProxy: trustProxyOf(config.trustProxy),
    return503OnClosing: true,
    // A client id in a path may be a DID or a metadata document URL (a did:jwk holds a whole JWK).
    routerOptions: { maxParamLength: 2048 },
    clientErrorHandler,
    // A path the router cannot decode (a bad escape, a parameter over maxParamLength) is refused
    // before any route or hook: without this Fastify answered its own JSON, echoing the path.
    frameworkErrors: function refuseUnroutable(error, request, reply) {
      reply.headers(securityHeaders);
      return answerError(error, request, reply);
    },
    ...(deps.https === undefined ? {} : { https: { cert: deps.https.cert, key: deps.https.key } }),
  }) as unknown as FastifyInstance;

  const caps: Capabilities = createCapabilities();
  // Counted by the code the client is answered with (a malformed body is invalid_request).
  app.setErrorHandler(function handleError(raw, request, reply) {
    return answerError(raw, request, reply);
  });
  // RFC 9110 §10.2.1: Allow lists the methods the resource supports, not those refused with 405.
  const refused = new Set<string>();
  app.addHook('onRoute', function noteRefusingRoute(route) {
    if (route.config?.refusesMethod === true) {
      for (const method of [route.method].flat()) {
        refused.add(`${method} ${route.url}`);
      }
    }
  });
  app.setNotFoundHandler(function handleNotFound(request, reply) {
    const path = request.url.split('?')[0] ?? '/';
    // RFC 9110 §15.5.6: a path that exists under other methods answers 405 with Allow, never 404.
    const allowed = allowedMethods(app, refused, path);
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return renderError.call(
        errorContext,
        OAuthError.invalidRequest(`Method ${request.method} is not allowed here`, { status: 405 }),
        request,
        reply,
      );
    }
    return renderError.call(
      errorContext,
      OAuthError.notFound(`No route ${request.method} ${path}`),
      request,
      reply,
    );
  });
  registerRequestGuard(app, securityHeaders);
  const addressLimits = addressLimitsOf(config);
  registerRouteRateLimits(app, addressLimits);
  registerFormBody(app);
  registerJsonBody(app);
  registerMetrics(app, deps.metrics, {
    stats: deps.stats,
    route: config.metrics.listen === undefined,
    token: config.metrics.token,
    ...(deps.metricsSource === undefined ? {} : { source: deps.metricsSource }),
  });
  registerHealth(
    app,
    [
      { name: 'store', check: within(config.database.readyTimeout, () => deps.store.ping()) },
      // A database that answers but cannot take a write (a standby, a read-only file) is not ready.
      {
        name: 'store writes',
        check: within(config.database.readyTimeout, () => deps.store.probeWrite(deps.clock.now())),
      },
      { name: 'signing keys', check: () => void deps.keyring.current(config.keys.algorithm) },
      ...(config.revocations.requireBusForReadiness
        ? [
            {
              name: 'bus',
              check: () => {
                if (deps.busStatus?.()?.connected === false) {
                  throw new Error('the cross-node bus is down');
                }
              },
            },
          ]
        : []),
    ],
    [
      {
        name: 'bus',
        read: () => {
          const status = deps.busStatus?.();
          return status === undefined
            ? undefined
            : { connected: status.connected, since: new Date(status.since).toISOString() };
        },
      },
    ],
  );
  // The operator's brand, theme and texts for every page (sendPage reads them from the instance).
  const look = loadPageLook(config.pages);
  app.decorate('pageLook', look);
  registerPageFiles(app, look);
  registerJwks(app, deps.keyring);
  caps.endpoints.set('jwks_uri', '/jwks');
  caps.signingAlgorithms.add(config.keys.algorithm);
  registerDiscovery(app, issuer, caps);

  const context = { issuer, caps };
  const features = deps.features ?? [];
  for (const feature of features) {
    await feature.registerPublic?.(app, context);
  }
  await app.register(
    async function adminApi(admin) {
      // Counted per address before the admin credential is checked (requireAdmin's hook comes after).
      const adminLimit = addressLimits.get('admin');
      if (adminLimit !== undefined) {
        admin.addHook('onRequest', addressLimitHook(adminLimit));
      }
      requireAdmin(admin, { ...deps.adminAuth, bootstrapToken: config.adminToken });
      registerSigningKeyRoutes(admin, deps);
      for (const feature of features) {
        await feature.registerAdmin?.(admin, context);
      }
    },
    { prefix: '/admin' },
  );
  app.addHook('onClose', async () => {
    for (const feature of features) {
      await feature.close?.();
    }
    accessLog.flushShed();
  });

  return app;
}
