/**
 * `/admin/users/{id}/admin`: a person's admin role (`tessera users grant-admin|revoke-admin`).
 * PUT sets the admin scopes the person holds as an operator (the caller may only hand out scopes it
 * holds itself); DELETE takes the role away. The admin API reads the role on every request an
 * operator makes, so a change applies to access tokens already issued (users/operator-tokens.ts).
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { UserService } from '../../users/user-service.js';
import type { AdminActors } from '../plugins/admin-auth.js';
import { describeRoute } from './openapi.js';
import { toUserView, userViewSchema } from './users.js';

const TAGS = ['users'];

const roleBody = z.strictObject({
  scopes: z.union([z.string().max(2000), z.array(z.string().max(100)).max(50)]).meta({
    description: 'Admin scopes, a list or a space- or comma-separated string (e.g. admin, clients:read).',
  }),
});

const idParams = z.object({ id: z.string() });

export interface UserAdminRoleDeps {
  users: UserService;
  actors: Pick<AdminActors, 'principalOf'>;
}

function scopesOf(body: unknown): string[] {
  const result = roleBody.safeParse(body ?? {});
  if (!result.success) {
    throw OAuthError.invalidRequest('Body must be {"scopes": [admin scopes]}');
  }
  const { scopes } = result.data;
  return typeof scopes === 'string' ? scopes.split(/[\s,]+/) : scopes;
}

export function registerUserAdminRoleRoutes(admin: FastifyInstance, deps: UserAdminRoleDeps): void {
  function grantor(request: FastifyRequest): readonly string[] {
    return deps.actors.principalOf(request)?.scopes ?? [];
  }
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;

  admin.put(
    '/users/:id/admin',
    describeRoute({
      summary: "Set a person's admin role (the admin scopes they hold in the console)",
      tags: TAGS,
      params: idParams,
      body: roleBody,
      responses: { 200: userViewSchema },
      errors: [400, 403, 404],
    }),
    async (request) => {
      const scopes = scopesOf(request.body);
      return toUserView(await deps.users.setAdminScopes(idOf(request), scopes, 'admin', grantor(request)));
    },
  );

  admin.delete(
    '/users/:id/admin',
    describeRoute({
      summary: "Take a person's admin role away",
      tags: TAGS,
      params: idParams,
      responses: { 200: userViewSchema },
      errors: [404],
    }),
    async (request) =>
      toUserView(await deps.users.setAdminScopes(idOf(request), null, 'admin', grantor(request))),
  );
}
