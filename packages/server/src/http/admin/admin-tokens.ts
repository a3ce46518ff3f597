/**
 * `/admin/admin-tokens` (`tessera admin-tokens create|list|revoke`): admin credentials with a name,
 * scopes and an expiry. The token is shown once, in the creation response; lists show the id,
 * name, scopes, display start and dates, never the token.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseDuration } from '../../config/schema.js';
import type { AdminTokenRecord } from '../../store/ports.js';
import type { AdminPrincipal, AdminTokenService } from '../../tokens/admin-tokens/admin-token-service.js';
import type { HttpFeature } from '../feature.js';
import type { AdminActors } from '../plugins/admin-auth.js';

export interface AdminTokenRoutesDeps {
  adminTokens: AdminTokenService;
  actors: Pick<AdminActors, 'principalOf'>;
}

function view(record: AdminTokenRecord) {
  return {
    id: record.id,
    name: record.name,
    scopes: record.scopes,
    start: record.start,
    created_at: record.createdAt,
    expires_at: record.expiresAt,
    revoked_at: record.revokedAt,
  };
}

function parseCreate(raw: unknown): { name: string; scopes: string[]; expiresIn: number | undefined } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw OAuthError.invalidRequest('Body must be a JSON object with name and scopes');
  }
  const body = raw as Record<string, unknown>;
  const unknown = Object.keys(body).filter((k) => !['name', 'scopes', 'expires_in'].includes(k));
  if (unknown.length > 0) {
    throw OAuthError.invalidRequest(`Unknown field: ${unknown.join(', ')}`);
  }
  if (typeof body.name !== 'string') {
    throw OAuthError.invalidRequest('name must be a string');
  }
  const scopes =
    typeof body.scopes === 'string'
      ? body.scopes.split(/[\s,]+/)
      : Array.isArray(body.scopes) && body.scopes.every((s) => typeof s === 'string')
        ? (body.scopes as string[])
        : undefined;
  if (scopes === undefined) {
    throw OAuthError.invalidRequest('scopes must be a list of admin scopes');
  }
  let expiresIn: number | undefined;
  if (body.expires_in !== undefined && body.expires_in !== null) {
    expiresIn =
      typeof body.expires_in === 'string' || typeof body.expires_in === 'number'
        ? parseDuration(body.expires_in)
        : undefined;
    if (expiresIn === undefined || expiresIn <= 0) {
      throw OAuthError.invalidRequest('expires_in must be a positive duration (e.g. 3600, 30d)');
    }
  }
  return { name: body.name, scopes, expiresIn };
}

export function registerAdminTokenRoutes(app: FastifyInstance, deps: AdminTokenRoutesDeps): void {
  function principal(request: FastifyRequest): AdminPrincipal {
    const found = deps.actors.principalOf(request);
    if (found === undefined) {
      throw OAuthError.invalidToken('Admin credential required');
    }
    return found;
  }

  app.post('/admin-tokens', async (request, reply) => {
    const input = parseCreate(request.body);
    try {
      const { record, token } = await deps.adminTokens.create(input, principal(request), request.id);
      return reply.code(201).send({ ...view(record), token });
    } catch (error) {
      if (error instanceof TypeError) {
        throw OAuthError.invalidRequest(error.message);
      }
      throw error;
    }
  });

  app.get('/admin-tokens', async () => ({ items: (await deps.adminTokens.list()).map(view) }));

  app.post<{ Params: { id: string } }>('/admin-tokens/:id/revoke', async (request) => {
    const { id } = request.params;
    if (!(await deps.adminTokens.revoke(id, principal(request), request.id))) {
      throw OAuthError.notFound('No such admin token, or it is already revoked');
    }
    return { id, revoked: true };
  });
}

export function createAdminTokensFeature(deps: AdminTokenRoutesDeps): HttpFeature {
  return {
    name: 'admin-tokens',
    registerAdmin(admin) {
      registerAdminTokenRoutes(admin, deps);
    },
  };
}
