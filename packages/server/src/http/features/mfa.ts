/**
 * Second factors: the signed-in person's authenticator-app pages under
 * `/account/security/totp`, and the admin's `POST /admin/users/{id}/mfa/reset`. The second step of
 * the login is part of the login feature (it continues the same interaction).
 */
import { fastifyCookie } from '@fastify/cookie';
import type { Clock } from '../../clock.js';
import type { RecoveryCodes } from '../../users/authn/recovery-codes.js';
import type { SecondFactors } from '../../users/authn/second-factors.js';
import type { TotpService } from '../../users/authn/totp.js';
import type { SessionService } from '../../users/session-service.js';
import type { UserService } from '../../users/user-service.js';
import { registerUserMfaRoutes } from '../admin/user-mfa.js';
import type { HttpFeature } from '../feature.js';
import { createBrowserCookies } from '../pages/browser-cookies.js';
import { registerAccountTotp } from '../public/account-totp.js';

export interface MfaFeatureDeps {
  issuer: string;
  users: UserService;
  sessions: SessionService;
  mfa: { totp: TotpService; recoveryCodes: RecoveryCodes; secondFactors: SecondFactors };
  clock: Clock;
  config: { login: { requireMfa: boolean; mfaFreshAuth: number } };
}

export function createMfaFeature(deps: MfaFeatureDeps): HttpFeature {
  const cookies = createBrowserCookies({ secure: deps.issuer.startsWith('https:') });
  return {
    name: 'mfa',
    async registerPublic(app) {
      await app.register(async function accountTotpPages(scope) {
        await scope.register(fastifyCookie);
        registerAccountTotp(scope, {
          cookies,
          sessions: deps.sessions,
          totp: deps.mfa.totp,
          recoveryCodes: deps.mfa.recoveryCodes,
          secondFactors: deps.mfa.secondFactors,
          clock: deps.clock,
          requireMfa: deps.config.login.requireMfa,
          freshAuth: deps.config.login.mfaFreshAuth,
        });
      });
    },
    registerAdmin(admin) {
      registerUserMfaRoutes(admin, {
        users: deps.users,
        totp: deps.mfa.totp,
        recoveryCodes: deps.mfa.recoveryCodes,
      });
    },
  };
}
