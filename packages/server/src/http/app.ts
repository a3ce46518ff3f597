/**
 * Builds the Fastify application from its dependencies and never listens (STYLE §9.10 habit 6):
 * tests drive it with `inject()`, `main.ts` calls `listen()`.
 */
import { OAuthError } from '@tessera/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events/bus.js';
import { newId } from '../ids.js';
import type { Keyring } from '../keys/keyring.js';
import type { Logger } from '../log.js';
import { type Capabilities, createCapabilities } from '../oauth/discovery.js';
import type { Store } from '../store/ports.js';
import { registerSigningKeyRoutes } from './admin/signing-keys.js';
import type { HttpFeature } from './feature.js';
import { AccessLogController } from './plugins/access-log.js';
import { type AdminAuthDeps, requireAdmin } from './plugins/admin-auth.js';
import { registerFormBody } from './plugins/form-body.js';
import { type Metrics, registerMetrics } from './plugins/metrics.js';
import { registerSecurityHeaders } from './plugins/security-headers.js';
import { registerDiscovery } from './public/discovery.js';
import { registerHealth } from './public/health.js';
import { registerJwks } from './public/jwks.js';
import { renderError } from './render-error.js';

export interface AppDeps {
  config: Readonly<Config>;
  store: Store;
  keyring: Keyring;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** The protocol features (token endpoint, introspection, …), built by main.ts. */
  features?: HttpFeature[];
  /** Admin tokens, the audit trail and the request → principal registry for the admin API. */
  adminAuth?: Omit<AdminAuthDeps, 'bootstrapToken'>;
  /** PEM certificate and key when the server terminates TLS itself. */
  https?: { cert: Buffer; key: Buffer } | undefined;
}

/** The issuer every route works with (always set once the config is loaded). */
export function issuerOf(config: Readonly<Config>): string {
  if (config.issuer === undefined) {
    throw new Error('issuer is not configured');
  }
  return config.issuer;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const issuer = issuerOf(config);
  const app = Fastify({
    loggerInstance: deps.logger,
    logController: new AccessLogController({ requestIdLogLabel: 'requestId' }),
    genReqId: () => newId('req'),
    requestIdHeader: false,
    bodyLimit: config.http.bodyLimit,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    ...(deps.https === undefined ? {} : { https: { cert: deps.https.cert, key: deps.https.key } }),
  }) as unknown as FastifyInstance;

  const caps: Capabilities = createCapabilities();
  const errorContext = { realm: issuer };
  app.setErrorHandler(function handleError(error, request, reply) {
    deps.metrics.errors.inc({ code: error instanceof OAuthError ? error.code : 'server_error' });
    return renderError.call(errorContext, error, request, reply);
  });
  app.setNotFoundHandler(function handleNotFound(request, reply) {
    return renderError.call(
      errorContext,
      OAuthError.notFound(`No route ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
    );
  });

  registerSecurityHeaders(app, { https: issuer.startsWith('https:') });
  registerFormBody(app);
  registerMetrics(app, deps.metrics);
  registerHealth(app, [
    { name: 'store', check: () => deps.store.ping() },
    { name: 'signing keys', check: () => void deps.keyring.current(config.keys.algorithm) },
  ]);
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
  });

  return app;
}
