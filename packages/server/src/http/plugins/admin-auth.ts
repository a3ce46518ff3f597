/**
 * Admin API authentication and authorization: `Authorization: Bearer <credential>` (RFC 6750
 * §2.1), where the credential is either
 * - an admin token (`tsr_adm_…`, see tokens/admin-tokens) with its scopes, or
 * - the bootstrap token of the configuration (`adminToken`, or the dev `admin.token` file),
 *   compared in constant time and worth every scope (`admin`), or
 * - an operator's access token: a JWT Tessera issued to a person with an admin role, for the admin
 *   API's audience, worth the admin scopes both the token and the person's role allow
 *   (users/operator-tokens.ts; the console signs in this way).
 * Each route needs `<area>:read` (GET/HEAD) or `<area>:write` (anything else), the area taken
 * from the first path segment; a scope short → 403 `insufficient_scope` (RFC 6750 §3.1).
 * Requests made with an admin token are audited (`admin.request`) with the token's id as actor,
 * and the events the routes record carry it instead of `admin`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditLog } from '../../audit/audit-log.js';
import type { AdminPrincipal, AdminTokenService } from '../../tokens/admin-tokens/admin-token-service.js';
import { type AdminArea, allowsAdminScope } from '../../tokens/admin-tokens/scopes.js';
import { looksLikeJwt } from '../../tokens/verify-access-token.js';
import type { OperatorTokens } from '../../users/operator-tokens.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The area of the admin API a path segment belongs to; `undefined` needs no particular scope. */
const AREA_OF_SEGMENT: Record<string, AdminArea | 'none'> = {
  clients: 'clients',
  'api-keys': 'api_keys',
  users: 'users',
  sessions: 'users',
  consents: 'users',
  'signing-keys': 'signing_keys',
  tokens: 'tokens',
  'admin-tokens': 'admin_tokens',
  risk: 'risk',
  audit: 'audit',
  stats: 'stats',
  'openapi.json': 'none',
};

/** Sub-resources of a person that belong to another area than `users`. */
const RISK_PROFILE_PATH = /^\/admin\/users\/[^/]+\/risk-profile$/;

/** The scope a request needs: by area and method; an area not listed needs `admin`. */
export function requiredAdminScope(method: string, url: string): string | undefined {
  const path = url.split('?')[0] ?? '';
  const segment = path.replace(/^\/admin\//, '').split('/')[0] ?? '';
  const area = RISK_PROFILE_PATH.test(path) ? 'risk' : AREA_OF_SEGMENT[segment];
  if (area === 'none') {
    return undefined;
  }
  if (area === undefined) {
    return 'admin';
  }
  return `${area}:${method === 'GET' || method === 'HEAD' ? 'read' : 'write'}`;
}

/** The principal of each admin request in flight, so audit events can name it. */
export interface AdminActors {
  /** The actor to record for events of this request, if it was made with an admin token. */
  actorOf(requestId: string): string | undefined;
  principalOf(request: FastifyRequest): AdminPrincipal | undefined;
}

export interface AdminAuthDeps {
  /** The bootstrap credential of the configuration (full power). */
  bootstrapToken: string | undefined;
  adminTokens?: Pick<AdminTokenService, 'authenticate'> | undefined;
  /** People with an admin role, presenting an access token issued for the admin API. */
  operators?: OperatorTokens | undefined;
  audit?: Pick<AuditLog, 'record'> | undefined;
  actors?: AdminActorRegistry | undefined;
}

export interface AdminActorRegistry extends AdminActors {
  set(request: FastifyRequest, principal: AdminPrincipal): void;
  delete(request: FastifyRequest): void;
}

export function createAdminActorRegistry(): AdminActorRegistry {
  const byRequestId = new Map<string, AdminPrincipal>();
  const byRequest = new WeakMap<FastifyRequest, AdminPrincipal>();
  return {
    actorOf(requestId) {
      const principal = byRequestId.get(requestId);
      return principal === undefined || principal.id === BOOTSTRAP.id ? undefined : principal.id;
    },
    principalOf: (request) => byRequest.get(request),
    set(request, principal) {
      byRequest.set(request, principal);
      byRequestId.set(request.id, principal);
    },
    delete(request) {
      byRequestId.delete(request.id);
    },
  };
}

const BOOTSTRAP: AdminPrincipal = Object.freeze({ id: 'admin', name: 'bootstrap', scopes: ['admin'] });

/** Adds the admin check to every route of `app` (call inside the encapsulated /admin plugin). */
export function requireAdmin(app: FastifyInstance, input: string | undefined | AdminAuthDeps): void {
  const deps: AdminAuthDeps = typeof input === 'object' ? input : { bootstrapToken: input };
  const expected = deps.bootstrapToken === undefined ? undefined : digest(deps.bootstrapToken);
  const actors = deps.actors ?? createAdminActorRegistry();
  // RFC 6750 §3: every admin 401/403 carries a Bearer challenge.
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), challenge: 'bearer' };
  });
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    // RFC 6750 §3.1: no header or another scheme is no credential (401 without an error code); a
    // Bearer credential that does not parse is invalid_request, 400.
    if (header === undefined || !/^Bearer(?: |$)/i.test(header)) {
      throw OAuthError.invalidToken('Admin credential required', { noCredentials: true });
    }
    const match = /^Bearer ([\x21-\x7E]+)$/i.exec(header);
    if (match?.[1] === undefined) {
      throw OAuthError.invalidRequest('Malformed Authorization header');
    }
    const presented = match[1];
    let principal: AdminPrincipal | undefined;
    if (presented.startsWith('tsr_adm_') && deps.adminTokens !== undefined) {
      principal = await deps.adminTokens.authenticate(presented);
    } else if (looksLikeJwt(presented) && deps.operators !== undefined) {
      principal = await deps.operators(presented);
    }
    // Hash both sides so the comparison is constant-time whatever the presented length.
    if (principal === undefined && expected !== undefined && timingSafeEqual(digest(presented), expected)) {
      principal = BOOTSTRAP;
    }
    if (principal === undefined) {
      throw OAuthError.invalidToken('Invalid admin credential');
    }
    // The route's pattern, not the raw URL: an encoded path cannot pick another area's scope.
    const required = requiredAdminScope(request.method, request.routeOptions.url ?? request.url);
    if (required !== undefined && !allowsAdminScope(principal.scopes, required)) {
      request.log.warn({ adminToken: principal.id, required }, 'admin scope refused');
      throw OAuthError.insufficientScope(`This admin credential lacks the ${required} scope`, {
        scope: required,
      });
    }
    actors.set(request, principal);
  });
  app.addHook('onResponse', async (request, reply) => {
    const principal = actors.principalOf(request);
    if (principal !== undefined && principal.id !== BOOTSTRAP.id && reply.statusCode < 400) {
      deps.audit?.record({
        type: 'admin.request',
        actor: principal.id,
        subject: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
        data: { name: principal.name, status: reply.statusCode },
        requestId: request.id,
      });
    }
    actors.delete(request);
  });
  app.addHook('onRequestAbort', async (request) => {
    actors.delete(request);
  });
}
