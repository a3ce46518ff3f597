/**
 * `/console/sessions`: active sign-in sessions from the admin API (`GET /admin/sessions`, paged,
 * `user_id` filter; the username is resolved by `GET /admin/users?username=`), and ending one
 * (`DELETE /admin/sessions/{id}`, which revokes every token issued under it) after the confirm page
 * (confirm-routes.ts). A session that is gone says so (404).
 */
import type { FastifyInstance } from 'fastify';
import { sendPage } from '../pages/layout.js';
import { formOf } from '../plugins/form-body.js';
import { listAll } from './console-api.js';
import { type ConsoleContext, sendApiRefusal, textOf } from './console-context.js';
import { renderSessions } from './session-pages.js';
import type { SessionRow, UserRow } from './user-pages.js';

const PAGE = 50;

function one(query: Record<string, unknown>, name: string): string {
  const value = query[name];
  return typeof value === 'string' ? value.trim().slice(0, 512) : '';
}

/** Where to go after ending a session: a console page, never elsewhere. */
export function backOf(value: string, fallback: string): string {
  return /^\/console\/[A-Za-z0-9_\-/%.]*$/.test(value) && !value.includes('//') ? value : fallback;
}

export function registerSessionPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  const { api } = ctx;

  scope.get('/sessions', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/sessions');
    if (typeof person !== 'string') {
      return person;
    }
    const query = (request.query ?? {}) as Record<string, unknown>;
    const user = one(query, 'user');
    const params = new URLSearchParams({ limit: String(PAGE) });
    const cursor = one(query, 'cursor');
    if (cursor !== '') {
      params.set('cursor', cursor);
    }
    const names = new Map<string, string>();
    if (user !== '') {
      const found = await api(request, 'GET', `/users?username=${encodeURIComponent(user)}`);
      const match = ((found.body.items as UserRow[] | undefined) ?? [])[0];
      if (found.status !== 200 || match === undefined) {
        const error =
          found.status === 200 ? `Nobody has the username "${user}".` : 'The people list could not be read.';
        return sendPage(reply, {
          title: 'Sessions',
          body: renderSessions({ sessions: [], names, user, canWrite: false, error }),
          status: found.status === 200 ? 404 : found.status,
          wide: true,
        });
      }
      params.set('user_id', match.id);
    }
    const answer = await api(request, 'GET', `/sessions?${params.toString()}`);
    if (answer.status !== 200) {
      return sendApiRefusal(reply, answer, 'The list');
    }
    const people = await listAll<UserRow>(api, request, '/users');
    for (const u of people.items) {
      names.set(u.id, u.username);
    }
    const next =
      typeof answer.body.next === 'string'
        ? `/console/sessions?${new URLSearchParams({ ...(user === '' ? {} : { user }), cursor: answer.body.next }).toString()}`
        : undefined;
    return sendPage(reply, {
      title: 'Sessions',
      body: renderSessions({
        sessions: (answer.body.items as SessionRow[] | undefined) ?? [],
        names,
        user,
        canWrite: await ctx.canWrite(request, person, 'users'),
        ...(next === undefined ? {} : { next }),
      }),
      wide: true,
    });
  });

  scope.post('/sessions/:id/end', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/sessions');
    if (typeof person !== 'string') {
      return person;
    }
    const id = (request.params as { id: string }).id;
    const back = backOf(textOf(formOf(request), 'back'), '/console/sessions');
    const ended = await api(request, 'DELETE', `/sessions/${encodeURIComponent(id)}`);
    return ended.status === 204 ? reply.redirect(back, 303) : sendApiRefusal(reply, ended, 'This session');
  });
}
