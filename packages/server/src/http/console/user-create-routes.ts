/**
 * `/console/users` (the list) and adding a person: `POST /admin/users`, then, when asked for and the
 * operator holds `admin`, `PUT /admin/users/{id}/admin`, both through the BFF proxy with the
 * operator's token. The form carries a one-time token, so a double submit adds one person; a
 * refused form comes back with what was typed (never the password) and the admin API's reason.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ADMIN_READ_SCOPES } from '../../tokens/admin-tokens/scopes.js';
import { sendPage } from '../pages/layout.js';
import { formOf } from '../plugins/form-body.js';
import { listAll } from './console-api.js';
import {
  type ConsoleContext,
  EXPIRED_FORM,
  formErrorOf,
  sendAlreadyCreated,
  sendApiRefusal,
  textOf,
} from './console-context.js';
import {
  EMPTY_USER_FORM,
  ROLE_CHOICES,
  renderUserCreated,
  renderUserList,
  type UserForm,
  type UserRow,
} from './user-pages.js';

const ROLE_SCOPES: Readonly<Record<string, readonly string[]>> = {
  read: ADMIN_READ_SCOPES,
  admin: ['admin'],
};

/** A password for the person to change on /account: 120 random bits, shown once. */
function generatedPassword(): string {
  return randomBytes(15).toString('base64url');
}

export function registerUserCreatePages(scope: FastifyInstance, ctx: ConsoleContext): void {
  const { api } = ctx;

  async function canGrant(request: FastifyRequest, person: string): Promise<boolean> {
    const me = await api(request, 'GET', `/users/${encodeURIComponent(person)}`);
    return Array.isArray(me.body.admin_scopes) && (me.body.admin_scopes as unknown[]).includes('admin');
  }

  async function list(
    request: FastifyRequest,
    reply: FastifyReply,
    person: string,
    form: UserForm,
    error?: string,
  ) {
    const all = await listAll<UserRow>(api, request, '/users');
    if (all.status !== 200) {
      return sendApiRefusal(reply, all, 'The list');
    }
    return sendPage(reply, {
      title: 'People',
      body: renderUserList({
        users: all.items,
        canWrite: await ctx.canWrite(request, person, 'users'),
        canGrant: await canGrant(request, person),
        form,
        token: await ctx.formToken(request),
        ...(error === undefined ? {} : { error }),
      }),
      status: error === undefined ? 200 : 400,
      wide: true,
    });
  }

  scope.get('/users', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/users');
    return typeof person === 'string' ? list(request, reply, person, EMPTY_USER_FORM) : person;
  });

  scope.post('/users', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/users');
    if (typeof person !== 'string') {
      return person;
    }
    const fields = formOf(request);
    const form: UserForm = {
      username: textOf(fields, 'username'),
      name: textOf(fields, 'name'),
      email: textOf(fields, 'email'),
      role: textOf(fields, 'role') || 'none',
    };
    if (!ROLE_CHOICES.some(([value]) => value === form.role)) {
      return list(
        request,
        reply,
        person,
        { ...form, role: 'none' },
        'Choose one of the admin roles offered.',
      );
    }
    const typed = textOf(fields, 'password');
    const password = typed === '' ? generatedPassword() : typed;
    const result = await ctx.once(request, textOf(fields, 'form_token'), async () => {
      const created = await api(request, 'POST', '/users', {
        username: form.username,
        password,
        ...(form.name === '' ? {} : { name: form.name }),
        ...(form.email === '' ? {} : { email: form.email }),
      });
      if (created.status !== 201) {
        return { answer: created };
      }
      const user = created.body as unknown as UserRow;
      const href = `/console/users/${encodeURIComponent(user.id)}`;
      return { answer: created, created: { what: 'person', id: user.id, name: user.username, href } };
    });
    if (result.kind === 'unknown') {
      return list(request, reply, person, form, EXPIRED_FORM);
    }
    if (result.kind === 'repeat') {
      return sendAlreadyCreated(reply, result.created);
    }
    const created = result.answer;
    const error = formErrorOf(created);
    if (error !== undefined) {
      return list(request, reply, person, form, error);
    }
    if (created.status !== 201) {
      return sendApiRefusal(reply, created, 'The list');
    }
    const user = created.body as unknown as UserRow;
    let note = '';
    const scopes = ROLE_SCOPES[form.role];
    if (scopes !== undefined) {
      const role = await api(request, 'PUT', `/users/${encodeURIComponent(user.id)}/admin`, { scopes });
      note =
        role.status === 200
          ? `Admin role: ${scopes.join(', ')}.`
          : 'The admin role was not given (your own role does not allow it): the person has none.';
    }
    return sendPage(reply, {
      title: 'Person added',
      body: renderUserCreated(user, typed === '' ? password : undefined, note),
      wide: true,
    });
  });
}
