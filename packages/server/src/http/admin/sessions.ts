/**
 * `/admin/sessions`: list login sessions (all, or one user's), read one, and end them. Ending a session
 * revokes every token issued under it: its refresh tokens, and every access token naming it in
 * `sid` (a `session` revocation), with or without `offline_access`.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SessionRecord, SessionStore } from '../../store/ports.js';
import type { SessionService } from '../../users/session-service.js';
import { describeRoute } from './openapi.js';

const TAGS = ['sessions'];
const MAX_PAGE = 100;

const sessionViewSchema = z.object({
  id: z.string().meta({ description: 'ses_... (the OpenID Connect sid)' }),
  user_id: z.string(),
  auth_time: z.int(),
  amr: z.array(z.string()),
  created_at: z.int(),
  last_seen_at: z.int(),
  expires_at: z.int(),
  user_agent: z.string().nullable(),
  ip: z.string().nullable(),
});

function toSessionView(session: SessionRecord): z.infer<typeof sessionViewSchema> {
  return {
    id: session.id,
    user_id: session.userId,
    auth_time: session.authTime,
    amr: session.amr,
    created_at: session.createdAt,
    last_seen_at: session.lastSeenAt,
    expires_at: session.expiresAt,
    user_agent: session.userAgent,
    ip: session.ip,
  };
}

const listQuery = z.strictObject({
  user_id: z.string().max(128).optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/)
    .optional(),
  cursor: z.string().max(512).optional(),
});

const endQuery = z.strictObject({ user_id: z.string().max(128) });

export function registerSessionRoutes(
  admin: FastifyInstance,
  deps: { store: Pick<SessionStore, 'listSessions' | 'findSession'>; sessions: SessionService },
): void {
  admin.get(
    '/sessions',
    describeRoute({
      summary: 'List login sessions',
      tags: TAGS,
      querystring: listQuery,
      responses: { 200: z.object({ items: z.array(sessionViewSchema), next: z.string().optional() }) },
      errors: [400],
    }),
    async (request) => {
      const result = listQuery.safeParse(request.query ?? {});
      if (!result.success) {
        throw OAuthError.invalidRequest('Invalid query: use user_id, limit (1 to 100) and cursor');
      }
      const limit = result.data.limit === undefined ? MAX_PAGE : Number(result.data.limit);
      if (limit < 1 || limit > MAX_PAGE) {
        throw OAuthError.invalidRequest(`limit must be 1 to ${MAX_PAGE}`);
      }
      try {
        const page = await deps.store.listSessions({
          limit,
          ...(result.data.user_id === undefined ? {} : { userId: result.data.user_id }),
          ...(result.data.cursor === undefined ? {} : { cursor: result.data.cursor }),
        });
        return {
          items: page.items.map(toSessionView),
          ...(page.next === undefined ? {} : { next: page.next }),
        };
      } catch (error) {
        if (error instanceof RangeError) {
          throw OAuthError.invalidRequest('Invalid cursor');
        }
        throw error;
      }
    },
  );

  admin.get(
    '/sessions/:id',
    describeRoute({
      summary: 'Read a login session',
      tags: TAGS,
      params: z.object({ id: z.string() }),
      responses: { 200: sessionViewSchema },
      errors: [404],
    }),
    async (request) => {
      const { id } = request.params as { id: string };
      const session = id.length > 128 ? undefined : await deps.store.findSession(id);
      if (session === undefined) {
        throw OAuthError.notFound('No such session');
      }
      return toSessionView(session);
    },
  );

  admin.delete(
    '/sessions/:id',
    describeRoute({
      summary: 'End a session (revokes every token issued under it)',
      tags: TAGS,
      params: z.object({ id: z.string() }),
      responses: { 204: null },
      errors: [404],
    }),
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const ended = await deps.sessions.end({ id }, 'admin');
      if (ended.length === 0) {
        throw OAuthError.notFound('No such session');
      }
      return reply.code(204).send();
    },
  );

  admin.delete(
    '/sessions',
    describeRoute({
      summary: "End all of a user's sessions",
      tags: TAGS,
      querystring: endQuery,
      responses: { 200: z.object({ ended: z.int() }) },
      errors: [400],
    }),
    async (request) => {
      const result = endQuery.safeParse(request.query ?? {});
      if (!result.success) {
        throw OAuthError.invalidRequest('user_id is required');
      }
      const ended = await deps.sessions.end({ userId: result.data.user_id }, 'admin');
      return { ended: ended.length };
    },
  );
}
