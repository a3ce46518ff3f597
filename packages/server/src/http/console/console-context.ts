/**
 * What every console page needs: the admin API (through the BFF proxy), the signed-in person, the
 * person's admin role (read from the admin API, to leave out buttons the role cannot use: the admin
 * API still decides every change), and the checks in front of every form post.
 */
import type { Bff } from '@tessera/client/bff';
import { isSameOrigin } from '@tessera/client/bff';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { allowsAdminScope } from '../../tokens/admin-tokens/scopes.js';
import { sendPage } from '../pages/layout.js';
import type { FormBody } from '../plugins/form-body.js';
import { type ApiAnswer, type ConsoleApi, createConsoleApi } from './console-api.js';
import { renderAlreadyCreated, renderProblem } from './console-pages.js';
import { type Created, type CreateOutcome, createFormTokens, type OnceResult } from './form-tokens.js';

export interface ConsoleContext {
  api: ConsoleApi;
  /**
   * The signed-in person's id, or a reply already sent: a redirect to the sign-in (then back to
   * `returnTo`, a path under /console), or, for a form post from another origin, a 403 page.
   */
  gate(request: FastifyRequest, reply: FastifyReply, returnTo: string): Promise<string | FastifyReply>;
  /** Whether the person's role allows `<area>:write`; true when the role cannot be read. */
  canWrite(request: FastifyRequest, person: string, area: string): Promise<boolean>;
  /** A one-time token for a create form shown to this console session (form-tokens.ts). */
  formToken(request: FastifyRequest): Promise<string>;
  /** Runs a create once per form token: a double submit gets the first post's object. */
  once<T>(
    request: FastifyRequest,
    token: string,
    create: () => Promise<CreateOutcome<T>>,
  ): Promise<OnceResult<T>>;
}

/** What a create form says when its token is unknown (expired, or from another session). */
export const EXPIRED_FORM =
  'This form has expired (or was opened in another console session): nothing was created. Check the values and send it again.';

export function createConsoleContext(bff: Bff, origin: string): ConsoleContext {
  const api = createConsoleApi(bff, origin);
  const tokens = createFormTokens();
  const sessionKey = async (request: FastifyRequest) =>
    (await bff.sessionOf(request.headers.cookie))?.key ?? '';
  return {
    api,
    async gate(request, reply, returnTo) {
      // The BFF's check for state-changing requests (Fetch Metadata, else Origin): a form on
      // another site cannot post here with the person's cookie.
      if (request.method !== 'GET' && !isSameOrigin(request.headers as Record<string, string>, origin)) {
        return sendProblem(
          reply,
          403,
          'Request refused',
          'A form from another site cannot act in the console.',
        );
      }
      const session = await bff.sessionOf(request.headers.cookie);
      const sub = session?.data.tokens?.claims?.sub;
      if (typeof sub !== 'string') {
        return reply.redirect(`/console/auth/login?returnTo=${encodeURIComponent(returnTo)}`, 303);
      }
      return sub;
    },
    async canWrite(request, person, area) {
      const me = await api(request, 'GET', `/users/${encodeURIComponent(person)}`);
      const scopes = me.body.admin_scopes;
      if (me.status !== 200 || !Array.isArray(scopes)) {
        return true;
      }
      return allowsAdminScope(scopes as string[], `${area}:write`);
    },
    async formToken(request) {
      return tokens.issue(await sessionKey(request));
    },
    async once(request, token, create) {
      const session = await sessionKey(request);
      return session === '' ? { kind: 'unknown' } : tokens.once(session, token, create);
    },
  };
}

export function sendProblem(
  reply: FastifyReply,
  status: number,
  title: string,
  message: string,
): FastifyReply {
  return sendPage(reply, { title, body: renderProblem(title, message), status, wide: true });
}

/** The answer to a repeated post of a create form: the object the first post made, no secret. */
export function sendAlreadyCreated(reply: FastifyReply, created: Created): FastifyReply {
  return sendPage(reply, { title: 'Already created', body: renderAlreadyCreated(created), wide: true });
}

/**
 * The page for an admin API refusal that no form can fix: not allowed (the role), gone (a stale
 * page acting on a deleted object), or the API not answering.
 */
export function sendApiRefusal(reply: FastifyReply, answer: ApiAnswer, what: string): FastifyReply {
  const description = typeof answer.body.error_description === 'string' ? answer.body.error_description : '';
  if (answer.status === 401 || answer.status === 403) {
    return sendProblem(
      reply,
      403,
      'Not allowed',
      `Your admin role does not allow this. ${description}`.trim(),
    );
  }
  if (answer.status === 404) {
    return sendProblem(reply, 404, 'Not found', `${what} no longer exists: it may have been deleted.`);
  }
  return sendProblem(
    reply,
    502,
    'The console cannot load',
    'The admin API did not answer. Try again in a moment.',
  );
}

/** The admin API's reason for a refused form (400/409), shown next to the form. */
export function formErrorOf(answer: ApiAnswer): string | undefined {
  if (answer.status !== 400 && answer.status !== 409) {
    return undefined;
  }
  const description = answer.body.error_description;
  return typeof description === 'string' ? description : 'The admin API refused these values.';
}

/** Every value of a form field (a repeated field, such as checkboxes, gives several). */
export function valuesOf(form: FormBody, name: string): string[] {
  const value = Object.hasOwn(form, name) ? form[name] : undefined;
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** One text field, trimmed; the first when repeated; '' when absent. */
export function textOf(form: FormBody, name: string): string {
  return (valuesOf(form, name)[0] ?? '').trim();
}

/** Non-empty lines of a text area. */
export function linesOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}
