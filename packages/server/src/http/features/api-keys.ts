/**
 * The API-keys feature: `POST /api-keys/verify`, the admin API `/admin/api-keys`, and the
 * batched usage flush on shutdown. The introspector for `tsr_key_…` is in the token registries
 * that `/introspect` dispatches on (compose/api-keys.ts).
 */
import type { Clock } from '../../clock.js';
import type { AuthenticateClient } from '../../oauth/client-auth/index.js';
import type { DpopProofValidator } from '../../oauth/dpop/proof-validator.js';
import type { ApiKeyService } from '../../tokens/api-keys/index.js';
import { registerApiKeyRoutes } from '../admin/api-keys.js';
import type { HttpFeature } from '../feature.js';
import type { CallerLimit } from '../plugins/rate-limit.js';
import { API_KEY_VERIFY_PATH, registerApiKeyVerifyRoute } from '../public/api-key-verify.js';

export interface ApiKeysFeatureDeps {
  issuer: string;
  apiKeys: ApiKeyService;
  clock: Clock;
  /** Client authentication for the verify endpoint. */
  authenticate: AuthenticateClient;
  /** Per caller at the verify endpoint (the key's own limit is separate). */
  limit: CallerLimit;
  /** The proof check for DPoP-bound keys at the verify endpoint. */
  dpop: Pick<DpopProofValidator, 'validate'>;
}

export function createApiKeysFeature(deps: ApiKeysFeatureDeps): HttpFeature {
  return {
    name: 'api-keys',
    registerPublic(app, context) {
      registerApiKeyVerifyRoute(app, {
        issuer: deps.issuer,
        apiKeys: deps.apiKeys,
        authenticate: deps.authenticate,
        limit: deps.limit,
        dpop: deps.dpop,
      });
      // Not an RFC 8414 member: a Tessera extension, so clients can find the endpoint.
      context.caps.extra.set('api_key_verification_endpoint', deps.issuer + API_KEY_VERIFY_PATH);
    },
    registerAdmin(admin) {
      registerApiKeyRoutes(admin, { apiKeys: deps.apiKeys, clock: deps.clock });
    },
    async close() {
      await deps.apiKeys.close();
    },
  };
}
