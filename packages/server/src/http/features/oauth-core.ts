/**
 * The OAuth core feature: `POST /token`, `POST /introspect`, `POST /revoke`, the admin
 * `POST /admin/tokens/revoke`, and what discovery advertises for them (RFC 8414 §2).
 */
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import type { AuthenticateClient } from '../../oauth/client-auth/index.js';
import type { DpopProofValidator } from '../../oauth/dpop/proof-validator.js';
import type { GrantRegistry } from '../../oauth/grants/index.js';
import type { Introspector } from '../../oauth/introspection.js';
import type { Revoker } from '../../oauth/revocation.js';
import type { AccessTokenStore } from '../../store/ports.js';
import type { RevocationDenylist } from '../../tokens/revocations.js';
import { registerTokenAdminRoutes } from '../admin/tokens.js';
import type { HttpFeature } from '../feature.js';
import { registerOAuthPostRoutes } from '../plugins/oauth-post.js';
import type { CallerLimit, RateLimiter } from '../plugins/rate-limit.js';
import { introspectRoute } from '../public/introspect.js';
import { revokeRoute } from '../public/revoke.js';
import { tokenRoute } from '../public/token.js';

export interface OAuthCoreFeatureDeps {
  issuer: string;
  authenticate: AuthenticateClient;
  grants: GrantRegistry;
  introspectors: readonly Introspector[];
  revokers: readonly Revoker[];
  revocations: RevocationDenylist;
  store: Pick<AccessTokenStore, 'revokeAccessTokensBy'>;
  clock: Clock;
  audit: Pick<AuditLog, 'record'>;
  maxAccessTokenTtl: number;
  limits: {
    perIp: RateLimiter;
    perClient: RateLimiter;
    /** Each client resolved from its id (a DID, a metadata document) rather than registered. */
    perUnregisteredClient?: RateLimiter;
    introspect: CallerLimit;
    revoke: CallerLimit;
  };
  /** Authentication methods the authenticator implements, for discovery. */
  authMethods: readonly string[];
  dpop: DpopProofValidator;
  /** Runs on shutdown (e.g. unsubscribe caches from the bus). */
  onClose?: () => void;
}

export function createOAuthCoreFeature(deps: OAuthCoreFeatureDeps): HttpFeature {
  return {
    name: 'oauth-core',
    async registerPublic(app, context) {
      // The denylist must be loaded before the first introspection is answered.
      await deps.revocations.start();
      await registerOAuthPostRoutes(app, [
        tokenRoute({
          issuer: deps.issuer,
          authenticate: deps.authenticate,
          grants: deps.grants,
          limits: deps.limits,
          dpop: deps.dpop,
        }),
        introspectRoute({
          issuer: deps.issuer,
          authenticate: deps.authenticate,
          introspectors: deps.introspectors,
          limit: deps.limits.introspect,
        }),
        revokeRoute({
          issuer: deps.issuer,
          authenticate: deps.authenticate,
          revokers: deps.revokers,
          limit: deps.limits.revoke,
        }),
      ]);
      context.caps.endpoints.set('token_endpoint', '/token');
      context.caps.endpoints.set('introspection_endpoint', '/introspect');
      context.caps.endpoints.set('revocation_endpoint', '/revoke');
      for (const grantType of deps.grants.keys()) {
        context.caps.grantTypes.add(grantType);
      }
      for (const method of deps.authMethods) {
        context.caps.tokenEndpointAuthMethods.add(method);
      }
      // RFC 9449 §5.1: the proof algorithms the token endpoint (and userinfo) accept.
      context.caps.extra.set('dpop_signing_alg_values_supported', [...deps.dpop.algorithms]);
    },
    registerAdmin(admin) {
      registerTokenAdminRoutes(admin, deps);
    },
    async close() {
      deps.revocations.stop();
      deps.onClose?.();
    },
  };
}
