/**
 * The device authorization grant (RFC 8628): `POST /device_authorization`, the verification pages
 * `/device` and `/device/confirm`, and their discovery entry. The grant itself
 * (`urn:ietf:params:oauth:grant-type:device_code` at `/token`) is in the token registries
 * (compose/user-grants.ts). It only registers routes.
 */
import { fastifyCookie } from '@fastify/cookie';
import type { AuthenticateClient } from '../../oauth/client-auth/index.js';
import type { DeviceFlow } from '../../oauth/device/device-flow.js';
import type { VerificationTicketSealer } from '../../oauth/device/verification-ticket.js';
import type { AttemptStore } from '../../store/ports.js';
import type { HttpFeature } from '../feature.js';
import { registerOAuthPostRoutes } from '../plugins/oauth-post.js';
import type { RateLimiter } from '../plugins/rate-limit.js';
import { registerDevicePages } from '../public/device.js';
import { deviceAuthorizationRoute } from '../public/device-authorization.js';
import type { LoginFlowDeps } from '../public/login-flow.js';

export interface DeviceFeatureDeps {
  issuer: string;
  authenticate: AuthenticateClient;
  flow: DeviceFlow;
  tickets: VerificationTicketSealer;
  login: LoginFlowDeps;
  attempts: Pick<AttemptStore, 'takeAttempt' | 'refundAttempt'>;
  limits: { perIp: RateLimiter; perClient: RateLimiter };
  codeEntry: { freeAttempts: number; maxBackoff: number; ticketTtl: number };
}

export function createDeviceFeature(deps: DeviceFeatureDeps): HttpFeature {
  return {
    name: 'device',
    async registerPublic(app, context) {
      await registerOAuthPostRoutes(app, [
        deviceAuthorizationRoute({
          issuer: deps.issuer,
          authenticate: deps.authenticate,
          flow: deps.flow,
          limits: deps.limits,
        }),
      ]);
      await app.register(async function devicePages(scope) {
        await scope.register(fastifyCookie);
        registerDevicePages(scope, {
          login: deps.login,
          flow: deps.flow,
          tickets: deps.tickets,
          attempts: deps.attempts,
          ...deps.codeEntry,
        });
      });
      // RFC 8628 §4: the endpoint in the authorization server metadata.
      context.caps.endpoints.set('device_authorization_endpoint', '/device_authorization');
    },
  };
}
