/**
 * `/console/api-keys/{id}`: one API key (edit, rotate, disable, enable, acknowledge anomalies); the
 * list, create and revoke are in api-key-routes.ts. Every read and change is an admin API call
 * (`/admin/api-keys`) through the BFF proxy with the person's token. A form post is checked for its
 * origin first (console-context); a refused form is shown again with what was typed; a stale page
 * acting on a key that is gone is told so (404).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendPage } from '../pages/layout.js';
import { formOf } from '../plugins/form-body.js';
import {
  type ApiKeyDetail,
  type ApiKeyEditForm,
  type ApiKeyFormName,
  apiKeyEditFormOf,
  DEFAULT_GRACE,
  renderApiKey,
} from './api-key-detail-pages.js';
import { type ApiKeyRow, renderApiKeyShown, time } from './api-key-pages.js';
import { type ConsoleContext, formErrorOf, sendApiRefusal, textOf } from './console-context.js';

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

function apiPath(id: string, action = ''): string {
  return `/api-keys/${encodeURIComponent(id)}${action}`;
}

interface Shown {
  form?: ApiKeyEditForm;
  grace?: string;
  error?: { form: ApiKeyFormName; message: string };
}

export function registerApiKeyDetailPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  const { api } = ctx;

  async function one(request: FastifyRequest, reply: FastifyReply, person: string, shown: Shown = {}) {
    const found = await api(request, 'GET', apiPath(idOf(request)));
    if (found.status !== 200) {
      return sendApiRefusal(reply, found, 'This API key');
    }
    const key = found.body as unknown as ApiKeyDetail;
    return sendPage(reply, {
      title: key.name,
      body: renderApiKey({
        key,
        canWrite: await ctx.canWrite(request, person, 'api_keys'),
        form: shown.form ?? apiKeyEditFormOf(key),
        grace: shown.grace ?? DEFAULT_GRACE,
        ...(shown.error === undefined ? {} : { error: shown.error }),
      }),
      status: shown.error === undefined ? 200 : 400,
      wide: true,
    });
  }

  /** The signed-in person for a page of this key, or the reply already sent (console-context). */
  const gate = (request: FastifyRequest, reply: FastifyReply) =>
    ctx.gate(request, reply, `/api-keys/${encodeURIComponent(idOf(request))}`);

  scope.get('/api-keys/:id', async (request, reply) => {
    const person = await gate(request, reply);
    return typeof person === 'string' ? one(request, reply, person) : person;
  });

  scope.post('/api-keys/:id/edit', async (request, reply) => {
    const person = await gate(request, reply);
    if (typeof person !== 'string') {
      return person;
    }
    const fields = formOf(request);
    const form: ApiKeyEditForm = {
      name: textOf(fields, 'name'),
      scope: textOf(fields, 'scope'),
      anomalyPolicy: textOf(fields, 'anomaly_policy'),
    };
    const updated = await api(request, 'PATCH', apiPath(idOf(request)), {
      name: form.name,
      scope: form.scope,
      anomaly_policy: form.anomalyPolicy,
    });
    const error = formErrorOf(updated);
    if (error !== undefined) {
      return one(request, reply, person, { form, error: { form: 'edit', message: error } });
    }
    return updated.status === 200
      ? reply.redirect(`/console${apiPath(idOf(request))}`, 303)
      : sendApiRefusal(reply, updated, 'This API key');
  });

  scope.post('/api-keys/:id/rotate', async (request, reply) => {
    const person = await gate(request, reply);
    if (typeof person !== 'string') {
      return person;
    }
    const grace = textOf(formOf(request), 'grace');
    const rotated = await api(request, 'POST', apiPath(idOf(request), '/rotate'), {
      grace: /^\d+$/.test(grace) ? Number(grace) : grace,
    });
    const error = formErrorOf(rotated);
    if (error !== undefined) {
      return one(request, reply, person, { grace, error: { form: 'rotate', message: error } });
    }
    if (rotated.status !== 201) {
      return sendApiRefusal(reply, rotated, 'This API key');
    }
    const previous = rotated.body.previous as { status?: string; expires_at?: number | null } | undefined;
    const note =
      previous?.status === 'revoked'
        ? 'The previous key no longer works.'
        : `The previous key works until ${time(previous?.expires_at ?? null, 'it expires')}.`;
    return sendPage(reply, {
      title: 'API key rotated',
      body: renderApiKeyShown(rotated.body as unknown as ApiKeyRow, String(rotated.body.key ?? ''), note),
      wide: true,
    });
  });

  for (const action of ['disable', 'enable', 'acknowledge-anomalies'] as const) {
    scope.post(`/api-keys/:id/${action}`, async (request, reply) => {
      const person = await gate(request, reply);
      if (typeof person !== 'string') {
        return person;
      }
      const changed = await api(request, 'POST', apiPath(idOf(request), `/${action}`));
      const error = formErrorOf(changed);
      if (error !== undefined) {
        return one(request, reply, person, { error: { form: 'state', message: error } });
      }
      return changed.status === 200
        ? reply.redirect(`/console${apiPath(idOf(request))}`, 303)
        : sendApiRefusal(reply, changed, 'This API key');
    });
  }
}
