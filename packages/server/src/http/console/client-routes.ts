/**
 * `/console/clients`: every read and change is an admin API call (`/admin/clients`) through the
 * BFF proxy with the person's token. A form post is checked for its origin first (console-context);
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
  EMPTY_CLIENT_FORM,
  renderClient,
  renderClientList,
  renderClientSecret,
} from './client-pages.js';
import { type ApiAnswer, listAll } from './console-api.js';
import {
  type ConsoleContext,
  EXPIRED_FORM,
  formErrorOf,
  linesOf,
  sendAlreadyCreated,
  sendApiRefusal,
  textOf,
  valuesOf,
} from './console-context.js';

function formFrom(request: FastifyRequest): ClientForm {
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

export function registerClientPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  const { api } = ctx;

  async function list(
    request: FastifyRequest,
    reply: FastifyReply,
    person: string,
    form: ClientForm,
    error?: string,
  ) {
    const all = await listAll<ClientRow>(api, request, '/clients');
    if (all.status !== 200) {
      return sendApiRefusal(reply, all, 'The list');
    }
    const query = (request.query as { q?: unknown }).q;
    return sendPage(reply, {
      title: 'Clients',
      body: renderClientList({
        clients: all.items,
        query: typeof query === 'string' ? query.slice(0, 200) : '',
        canWrite: await ctx.canWrite(request, person, 'clients'),
        form,
        token: await ctx.formToken(request),
        ...(error === undefined ? {} : { error }),
      }),
      status: error === undefined ? 200 : 400,
      wide: true,
    });
  }

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

  function secretShown(reply: FastifyReply, answer: ApiAnswer, heading: string, note: string) {
    const client = answer.body as unknown as ClientRow;
    return sendPage(reply, {
      title: heading,
      body: renderClientSecret({ client, secret: String(answer.body.client_secret ?? ''), heading, note }),
      status: 200,
      wide: true,
    });
  }

  scope.get('/clients', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/clients');
    return typeof person === 'string' ? list(request, reply, person, EMPTY_CLIENT_FORM) : person;
  });

  scope.post('/clients', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/clients');
    if (typeof person !== 'string') {
      return person;
    }
    const form = formFrom(request);
    const result = await ctx.once(request, textOf(formOf(request), 'form_token'), async () => {
      const answer = await api(request, 'POST', '/clients', {
        name: form.name,
        grant_types: form.grantTypes,
        redirect_uris: linesOf(form.redirectUris),
        scope: form.scope,
      });
      if (answer.status !== 201) {
        return { answer };
      }
      const id = String(answer.body.client_id);
      const href = `/console/clients/${encodeURIComponent(id)}`;
      return { answer, created: { what: 'client', id, name: String(answer.body.name), href } };
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
    if (typeof created.body.client_secret !== 'string') {
      return reply.redirect(`/console/clients/${encodeURIComponent(String(created.body.client_id))}`, 303);
    }
    return secretShown(reply, created, 'Client created', '');
  });

  scope.get('/clients/:id', async (request, reply) => {
    const person = await ctx.gate(request, reply, `/clients/${idOf(request)}`);
    return typeof person === 'string' ? one(request, reply, person) : person;
  });

  scope.post('/clients/:id/edit', async (request, reply) => {
    const person = await ctx.gate(request, reply, `/clients/${idOf(request)}`);
    if (typeof person !== 'string') {
      return person;
    }
    const form = formFrom(request);
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
    return secretShown(reply, rotated, 'Secret rotated', note);
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
