/**
 * `/console/clients/{id}`: one client (edit, rotate, disable, enable, delete); the list and create
 * are in client-create-routes.ts. Every read and change is an admin API call (`/admin/clients`)
 * through the BFF proxy with the person's token. A form post is checked for its origin first (console-context);
 * a refused form is shown again with what was typed; a stale page acting on a deleted client is told
 * so (404).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendPage } from '../pages/layout.js';
import { formOf } from '../plugins/form-body.js';
import {
  type ClientForm,
  type ClientRow,
  clientFormOf,
  renderClient,
  renderClientSecret,
} from './client-pages.js';
import type { ApiAnswer } from './console-api.js';
import {
  type ConsoleContext,
  formErrorOf,
  linesOf,
  sendApiRefusal,
  textOf,
  valuesOf,
} from './console-context.js';

export function clientFormFrom(request: FastifyRequest): ClientForm {
  const form = formOf(request);
  return {
    name: textOf(form, 'name'),
    grantTypes: valuesOf(form, 'grant_types'),
    redirectUris: textOf(form, 'redirect_uris'),
    scope: textOf(form, 'scope'),
  };
}

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

function apiPath(id: string, action = ''): string {
  return `/clients/${encodeURIComponent(id)}${action}`;
}

/** The one time a client secret is shown (after a create or a rotation). */
export function sendClientSecret(reply: FastifyReply, answer: ApiAnswer, heading: string, note: string) {
  const client = answer.body as unknown as ClientRow;
  return sendPage(reply, {
    title: heading,
    body: renderClientSecret({ client, secret: String(answer.body.client_secret ?? ''), heading, note }),
    status: 200,
    wide: true,
  });
}

export function registerClientPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  const { api } = ctx;

  async function one(
    request: FastifyRequest,
    reply: FastifyReply,
    person: string,
    form?: ClientForm,
    error?: string,
  ) {
    const found = await api(request, 'GET', apiPath(idOf(request)));
    if (found.status !== 200) {
      return sendApiRefusal(reply, found, 'This client');
    }
    const client = found.body as unknown as ClientRow;
    return sendPage(reply, {
      title: client.name,
      body: renderClient({
        client,
        canWrite: await ctx.canWrite(request, person, 'clients'),
        form: form ?? clientFormOf(client),
        ...(error === undefined ? {} : { error }),
      }),
      status: error === undefined ? 200 : 400,
      wide: true,
    });
  }

  scope.get('/clients/:id', async (request, reply) => {
    const person = await ctx.gate(request, reply, `/clients/${idOf(request)}`);
    return typeof person === 'string' ? one(request, reply, person) : person;
  });

  scope.post('/clients/:id/edit', async (request, reply) => {
    const person = await ctx.gate(request, reply, `/clients/${idOf(request)}`);
    if (typeof person !== 'string') {
      return person;
    }
    const form = clientFormFrom(request);
    const updated = await api(request, 'PATCH', apiPath(idOf(request)), {
      name: form.name,
      redirect_uris: linesOf(form.redirectUris),
      scope: form.scope,
    });
    const error = formErrorOf(updated);
    if (error !== undefined) {
      return one(request, reply, person, form, error);
    }
    return updated.status === 200
      ? reply.redirect(`/console${apiPath(idOf(request))}`, 303)
      : sendApiRefusal(reply, updated, 'This client');
  });

  scope.post('/clients/:id/rotate', async (request, reply) => {
    const person = await ctx.gate(request, reply, `/clients/${idOf(request)}`);
    if (typeof person !== 'string') {
      return person;
    }
    const grace = textOf(formOf(request), 'grace');
    const rotated = await api(request, 'POST', apiPath(idOf(request), '/rotate-secret'), {
      grace: /^\d+$/.test(grace) ? Number(grace) : grace,
    });
    const error = formErrorOf(rotated);
    if (error !== undefined) {
      return one(request, reply, person, undefined, error);
    }
    if (rotated.status !== 200) {
      return sendApiRefusal(reply, rotated, 'This client');
    }
    const until = Number(rotated.body.previous_secrets_expire_at);
    const note = `The previous secret works until ${new Date(until * 1000).toISOString().replace('.000Z', 'Z')}.`;
    return sendClientSecret(reply, rotated, 'Secret rotated', note);
  });

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    scope.post(`/clients/:id/${action}`, async (request, reply) => {
      const person = await ctx.gate(request, reply, `/clients/${idOf(request)}`);
      if (typeof person !== 'string') {
        return person;
      }
      const updated = await api(request, 'PATCH', apiPath(idOf(request)), { disabled });
      return updated.status === 200
        ? reply.redirect(`/console${apiPath(idOf(request))}`, 303)
        : sendApiRefusal(reply, updated, 'This client');
    });
  }

  scope.post('/clients/:id/delete', async (request, reply) => {
    const person = await ctx.gate(request, reply, `/clients/${idOf(request)}`);
    if (typeof person !== 'string') {
      return person;
    }
    const deleted = await api(request, 'DELETE', apiPath(idOf(request)));
    return deleted.status === 204
      ? reply.redirect('/console/clients', 303)
      : sendApiRefusal(reply, deleted, 'This client');
  });
}
