/**
 * `/console/users`: people through the admin API (`/admin/users`, `/admin/sessions`) via the BFF
 * proxy with the person's token. A form post is checked for its origin first (console-context).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendPage } from '../pages/layout.js';
import { listAll } from './console-api.js';
import { type ConsoleContext, sendApiRefusal } from './console-context.js';
import { renderUser, renderUserList, type SessionRow, type UserRow } from './user-pages.js';

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

export function registerUserPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  const { api } = ctx;

  scope.get('/users', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/users');
    if (typeof person !== 'string') {
      return person;
    }
    const all = await listAll<UserRow>(api, request, '/users');
    return all.status === 200
      ? sendPage(reply, { title: 'People', body: renderUserList(all.items), wide: true })
      : sendApiRefusal(reply, all, 'The list');
  });

  scope.get('/users/:id', async (request, reply) => {
    const person = await ctx.gate(request, reply, `/users/${idOf(request)}`);
    if (typeof person !== 'string') {
      return person;
    }
    const found = await api(request, 'GET', `/users/${encodeURIComponent(idOf(request))}`);
    if (found.status !== 200) {
      return sendApiRefusal(reply, found, 'This person');
    }
    const sessions = await listAll<SessionRow>(
      api,
      request,
      `/sessions?user_id=${encodeURIComponent(idOf(request))}`,
    );
    const user = found.body as unknown as UserRow;
    return sendPage(reply, {
      title: user.username,
      body: renderUser({
        user,
        sessions: sessions.status === 200 ? sessions.items : [],
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
  ): Promise<FastifyReply> {
    const person = await ctx.gate(request, reply, `/users/${idOf(request)}`);
    if (typeof person !== 'string') {
      return person;
    }
    const done = await api(request, method, path);
    return done.status === 200 || done.status === 204
      ? reply.redirect(`/console/users/${encodeURIComponent(idOf(request))}`, 303)
      : sendApiRefusal(reply, done, 'This person or session');
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
}
