/**
 * `/console/users/{id}`: one person through the admin API (`/admin/users`, `/admin/sessions`,
 * `/admin/users/{id}/consents`, `/admin/api-keys?owner=`) via the BFF proxy with the operator's
 * token. A form post is checked for its origin first (console-context); acting on a person, session
 * or consent that is gone says so (404). The list and the create form: user-create-routes.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendPage } from '../pages/layout.js';
import { listAll } from './console-api.js';
import { type ConsoleContext, sendApiRefusal } from './console-context.js';
import {
  type ConsentRow,
  type OwnedKeyRow,
  renderUser,
  type SessionRow,
  type UserRow,
} from './user-pages.js';

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

export function registerUserPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  const { api } = ctx;

  scope.get('/users/:id', async (request, reply) => {
    const person = await ctx.gate(request, reply, `/users/${idOf(request)}`);
    if (typeof person !== 'string') {
      return person;
    }
    const found = await api(request, 'GET', `/users/${encodeURIComponent(idOf(request))}`);
    if (found.status !== 200) {
      return sendApiRefusal(reply, found, 'This person');
    }
    const id = encodeURIComponent(idOf(request));
    const [sessions, consents, keys] = await Promise.all([
      listAll<SessionRow>(api, request, `/sessions?user_id=${id}`),
      api(request, 'GET', `/users/${id}/consents`),
      listAll<OwnedKeyRow>(api, request, `/api-keys?owner=${id}`),
    ]);
    const user = found.body as unknown as UserRow;
    return sendPage(reply, {
      title: user.username,
      body: renderUser({
        user,
        sessions: sessions.status === 200 ? sessions.items : [],
        consents: consents.status === 200 ? ((consents.body.items as ConsentRow[] | undefined) ?? []) : [],
        keys: keys.status === 200 ? keys.items : [],
        canWrite: await ctx.canWrite(request, person, 'users'),
      }),
      wide: true,
    });
  });

  /** A change, then back to the person's page (or the reason it was refused). */
  async function act(
    request: FastifyRequest,
    reply: FastifyReply,
    method: 'POST' | 'DELETE',
    path: string,
    what = 'This person or session',
    back = `/console/users/${encodeURIComponent(idOf(request))}`,
  ): Promise<FastifyReply> {
    const person = await ctx.gate(request, reply, `/users/${idOf(request)}`);
    if (typeof person !== 'string') {
      return person;
    }
    const done = await api(request, method, path);
    return done.status === 200 || done.status === 204
      ? reply.redirect(back, 303)
      : sendApiRefusal(reply, done, what);
  }

  for (const action of ['disable', 'enable'] as const) {
    scope.post(`/users/:id/${action}`, (request, reply) =>
      act(request, reply, 'POST', `/users/${encodeURIComponent(idOf(request))}/${action}`),
    );
  }
  scope.post('/users/:id/mfa-reset', (request, reply) =>
    act(request, reply, 'POST', `/users/${encodeURIComponent(idOf(request))}/mfa/reset`),
  );
  scope.post('/users/:id/sessions/:session/end', (request, reply) =>
    act(
      request,
      reply,
      'DELETE',
      `/sessions/${encodeURIComponent((request.params as { session: string }).session)}`,
    ),
  );
  scope.post('/users/:id/consents/:client/revoke', (request, reply) =>
    act(
      request,
      reply,
      'DELETE',
      `/users/${encodeURIComponent(idOf(request))}/consents/${encodeURIComponent((request.params as { client: string }).client)}`,
      'This person or consent',
    ),
  );
  scope.post('/users/:id/delete', (request, reply) =>
    act(
      request,
      reply,
      'DELETE',
      `/users/${encodeURIComponent(idOf(request))}`,
      'This person',
      '/console/users',
    ),
  );
}
