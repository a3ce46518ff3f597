/**
 * The confirm pages in front of every destructive console action (no script needed): delete a
 * client or a person, revoke an API key, end a session, pull a signing key. Each reads the object
 * from the admin API to name it, so a stale link to an object that is gone says so (404); the
 * button on it makes the post that acts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendPage } from '../pages/layout.js';
import type { ApiAnswer, ConsoleApi } from './console-api.js';
import { type ConsoleContext, sendApiRefusal } from './console-context.js';
import { renderConfirm } from './console-pages.js';
import { time } from './session-pages.js';
import { backOf } from './session-routes.js';

type Confirm = Parameters<typeof renderConfirm>[0];

function param(request: FastifyRequest, name: string): string {
  return (request.params as Record<string, string>)[name] ?? '';
}

function backQuery(request: FastifyRequest, fallback: string): string {
  const value = (request.query as { back?: unknown } | undefined)?.back;
  return backOf(typeof value === 'string' ? value : '', fallback);
}

/** One signing key from the list (the admin API reads keys as a list only). */
async function readSigningKey(api: ConsoleApi, request: FastifyRequest, kid: string): Promise<ApiAnswer> {
  const all = await api(request, 'GET', '/signing-keys');
  const items = (all.body.items as Array<{ kid: string; alg: string }> | undefined) ?? [];
  const key = items.find((k) => k.kid === kid);
  return all.status !== 200
    ? all
    : key === undefined
      ? { status: 404, body: {} }
      : { status: 200, body: { ...key } };
}

export function registerConfirmPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  const { api } = ctx;

  /** GET `path`: the object, then its confirm page; a refusal or 404 as a clear page. */
  function confirmPage(
    path: string,
    read: (request: FastifyRequest) => Promise<ApiAnswer>,
    what: string,
    page: (request: FastifyRequest, answer: ApiAnswer) => Promise<Confirm> | Confirm,
  ): void {
    scope.get(path, async (request, reply): Promise<FastifyReply> => {
      const person = await ctx.gate(request, reply, request.url.replace(/^\/console/, ''));
      if (typeof person !== 'string') {
        return person;
      }
      const answer = await read(request);
      if (answer.status !== 200) {
        return sendApiRefusal(reply, answer, what);
      }
      const input = await page(request, answer);
      return sendPage(reply, { title: input.heading, body: renderConfirm(input), wide: true });
    });
  }

  const get = (path: (request: FastifyRequest) => string) => (request: FastifyRequest) =>
    api(request, 'GET', path(request));
  const id = (request: FastifyRequest) => encodeURIComponent(param(request, 'id'));

  confirmPage(
    '/clients/:id/confirm-delete',
    get((r) => `/clients/${id(r)}`),
    'This client',
    (r, a) => ({
      section: '/console/clients',
      heading: 'Delete this client?',
      what: `The client ${String(a.body.name)} (${param(r, 'id')})`,
      consequence: 'Its secrets and every token issued to it stop working at once. This cannot be undone.',
      action: `/console/clients/${id(r)}/delete`,
      button: 'Delete client',
      back: `/console/clients/${id(r)}`,
    }),
  );

  confirmPage(
    '/api-keys/:id/confirm-revoke',
    get((r) => `/api-keys/${id(r)}`),
    'This API key',
    (r, a) => {
      const back = backQuery(r, '/console/api-keys');
      return {
        section: '/console/api-keys',
        heading: 'Revoke this API key?',
        what: `The API key ${String(a.body.name)} (${param(r, 'id')})`,
        consequence: 'It stops working at once, on every node and at every verifier. This cannot be undone.',
        action: `/console/api-keys/${id(r)}/revoke`,
        button: 'Revoke API key',
        back,
        hidden: { back },
      };
    },
  );

  confirmPage(
    '/users/:id/confirm-delete',
    get((r) => `/users/${id(r)}`),
    'This person',
    (r, a) => ({
      section: '/console/users',
      heading: 'Delete this person?',
      what: `${String(a.body.username)} (${param(r, 'id')})`,
      consequence:
        'Their sessions end and every token they hold is revoked at once. This cannot be undone; to stop them for now, disable them instead.',
      action: `/console/users/${id(r)}/delete`,
      button: 'Delete person',
      back: `/console/users/${id(r)}`,
    }),
  );

  confirmPage(
    '/sessions/:id/confirm-end',
    get((r) => `/sessions/${id(r)}`),
    'This session',
    async (r, a) => {
      const userId = String(a.body.user_id);
      const user = await api(r, 'GET', `/users/${encodeURIComponent(userId)}`);
      const name = user.status === 200 ? String(user.body.username) : userId;
      const ip = typeof a.body.ip === 'string' ? `, from ${a.body.ip}` : '';
      const back = backQuery(r, '/console/sessions');
      return {
        section: '/console/sessions',
        heading: 'End this session?',
        what: `The session of ${name} since ${time(Number(a.body.created_at))}${ip}`,
        consequence: 'They are signed out, and every token issued under this session is revoked at once.',
        action: `/console/sessions/${id(r)}/end`,
        button: 'End session',
        back,
        hidden: { back },
      };
    },
  );

  confirmPage(
    '/signing-keys/:kid/confirm-pull',
    (r) => readSigningKey(api, r, param(r, 'kid')),
    'This signing key',
    (r, a) => ({
      section: '/console/signing-keys',
      heading: 'Pull this signing key?',
      what: `The ${String(a.body.alg)} signing key ${param(r, 'kid')}`,
      consequence:
        'Use this for a compromised key: it leaves the JWKS and every token it signed is refused at once. A new key signs from now on.',
      action: `/console/signing-keys/${encodeURIComponent(param(r, 'kid'))}/revoke`,
      button: 'Pull signing key',
      back: '/console/signing-keys',
    }),
  );
}
