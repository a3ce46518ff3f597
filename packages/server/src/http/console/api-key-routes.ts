/**
 * `/console/api-keys`: list, create and revoke through the admin API (`/admin/api-keys`) via the
 * BFF proxy with the person's token. A form post is checked for its origin first (console-context).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendPage } from '../pages/layout.js';
import { formOf } from '../plugins/form-body.js';
import {
  type ApiKeyForm,
  type ApiKeyRow,
  EMPTY_API_KEY_FORM,
  renderApiKeyList,
  renderApiKeyShown,
} from './api-key-pages.js';
import { listAll } from './console-api.js';
import {
  type ConsoleContext,
  EXPIRED_FORM,
  formErrorOf,
  sendAlreadyCreated,
  sendApiRefusal,
  textOf,
} from './console-context.js';
import { backOf } from './session-routes.js';

export function registerApiKeyPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  const { api } = ctx;

  async function list(
    request: FastifyRequest,
    reply: FastifyReply,
    person: string,
    form: ApiKeyForm,
    error?: string,
  ) {
    const all = await listAll<ApiKeyRow>(api, request, '/api-keys');
    if (all.status !== 200) {
      return sendApiRefusal(reply, all, 'The list');
    }
    return sendPage(reply, {
      title: 'API keys',
      body: renderApiKeyList({
        keys: all.items,
        canWrite: await ctx.canWrite(request, person, 'api_keys'),
        form,
        token: await ctx.formToken(request),
        ...(error === undefined ? {} : { error }),
      }),
      status: error === undefined ? 200 : 400,
      wide: true,
    });
  }

  scope.get('/api-keys', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/api-keys');
    return typeof person === 'string' ? list(request, reply, person, EMPTY_API_KEY_FORM) : person;
  });

  scope.post('/api-keys', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/api-keys');
    if (typeof person !== 'string') {
      return person;
    }
    const fields = formOf(request);
    const form: ApiKeyForm = {
      name: textOf(fields, 'name'),
      owner: textOf(fields, 'owner'),
      scope: textOf(fields, 'scope'),
      expiresIn: textOf(fields, 'expires_in'),
      anomalyPolicy: textOf(fields, 'anomaly_policy'),
    };
    const result = await ctx.once(request, textOf(fields, 'form_token'), async () => {
      const answer = await api(request, 'POST', '/api-keys', {
        name: form.name,
        owner: form.owner,
        scope: form.scope,
        ...(form.expiresIn === '' ? {} : { expires_in: form.expiresIn }),
        ...(form.anomalyPolicy === '' ? {} : { anomaly_policy: form.anomalyPolicy }),
      });
      if (answer.status !== 201) {
        return { answer };
      }
      const id = String(answer.body.id);
      return {
        answer,
        created: { what: 'API key', id, name: String(answer.body.name), href: '/console/api-keys' },
      };
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
    return sendPage(reply, {
      title: 'API key created',
      body: renderApiKeyShown(created.body as unknown as ApiKeyRow, String(created.body.key ?? '')),
      wide: true,
    });
  });

  scope.post('/api-keys/:id/revoke', async (request, reply) => {
    const person = await ctx.gate(request, reply, '/api-keys');
    if (typeof person !== 'string') {
      return person;
    }
    const id = (request.params as { id: string }).id;
    const revoked = await api(request, 'POST', `/api-keys/${encodeURIComponent(id)}/revoke`);
    return revoked.status === 200
      ? reply.redirect(backOf(textOf(formOf(request), 'back'), '/console/api-keys'), 303)
      : sendApiRefusal(reply, revoked, 'This API key');
  });
}
