/**
 * The account page and passkeys: `/account` and its forms, `/account/login`, the page scripts
 * under `/assets/`, `/admin/users/{id}/passkeys` and `/admin/users/{id}/export`. The passkey sign-in of the login page is
 * registered by the login feature, which receives the same passkey service.
 */
import { fastifyCookie } from '@fastify/cookie';
import { registerPasskeyAdminRoutes } from '../admin/passkeys.js';
import { registerUserExportRoute } from '../admin/user-export.js';
import type { HttpFeature } from '../feature.js';
import { createBrowserCookies } from '../pages/browser-cookies.js';
import { type AccountDeps, registerAccount } from '../public/account.js';
import { registerAccountLogin } from '../public/account-login.js';
import { registerAssets } from '../public/assets.js';

export function createAccountFeature(deps: Omit<AccountDeps, 'cookies'> & { issuer: string }): HttpFeature {
  const cookies = createBrowserCookies({ secure: deps.issuer.startsWith('https:') });
  const pages: AccountDeps = { ...deps, cookies };
  return {
    name: 'account',
    async registerPublic(app) {
      registerAssets(app);
      await app.register(async function accountPages(scope) {
        await scope.register(fastifyCookie);
        registerAccount(scope, pages);
        registerAccountLogin(scope, pages);
      });
    },
    registerAdmin(admin) {
      registerPasskeyAdminRoutes(admin, { users: deps.users, passkeys: deps.passkeys });
      registerUserExportRoute(admin, { exportAccount: deps.exportAccount, audit: deps.audit });
    },
  };
}
