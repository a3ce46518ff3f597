/**
 * `/console/clients` (the list with its search) and creating a client (`POST /admin/clients`)
 * through the BFF proxy with the operator's token. The form carries a one-time token, so a double
 * submit creates one client and shows its secret once; a refused form comes back with what was
 * typed and the admin API's reason.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendPage } from '../pages/layout.js';
import { formOf } from '../plugins/form-body.js';
import { type ClientForm, type ClientRow, EMPTY_CLIENT_FORM, renderClientList } from './client-pages.js';
import { clientFormFrom, sendClientSecret } from './client-routes.js';
import { listAll } from './console-api.js';
import {
  type ConsoleContext,
  EXPIRED_FORM,
  formErrorOf,
  linesOf,
  sendAlreadyCreated,
  sendApiRefusal,
  textOf,
} from './console-context.js';

export function registerClientCreatePages(scope: FastifyInstance, ctx: ConsoleContext): void {
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

  scope.get('/clients', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/clients');
    return typeof person === 'string' ? list(request, reply, person, EMPTY_CLIENT_FORM) : person;
  });

  scope.post('/clients', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/clients');
    if (typeof person !== 'string') {
      return person;
    }
    const form = clientFormFrom(request);
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
    return sendClientSecret(reply, created, 'Client created', '');
  });
}
