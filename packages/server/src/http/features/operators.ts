/**
 * Operators: people with an admin role. `/admin/users/{id}/admin` sets or removes the role; the
 * admin API accepts their access tokens (users/operator-tokens.ts, wired into the admin check by
 * main.ts).
 */
import { registerUserAdminRoleRoutes, type UserAdminRoleDeps } from '../admin/user-admin-role.js';
import type { HttpFeature } from '../feature.js';

export function createOperatorsFeature(deps: UserAdminRoleDeps): HttpFeature {
  return {
    name: 'operators',
    registerAdmin(admin) {
      registerUserAdminRoleRoutes(admin, deps);
    },
  };
}
