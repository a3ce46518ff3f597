/**
 * `/account/login`: signing in to the account page itself, with no application involved. The same
 * rules as the login page: CSRF token, throttle before the password check, the same generic
 * message, a fresh session secret on every sign-in; or a passkey alone (WebAuthn L3 §7.2).
 * Success goes back to `/account`.
 */
import { isOAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hashBrowserSecret } from '../../oauth/authorize/interaction.js';
import type { UserRecord } from '../../store/ports.js';
import { normalizeUsername } from '../../users/user-service.js';
import { renderAccountSignInPage } from '../pages/account-sign-in-page.js';
import { sendPage } from '../pages/layout.js';
import { PASSKEY_SIGN_IN_PATH, WEBAUTHN_BUNDLE_PATH } from '../pages/passkey-scripts.js';
import { renderPasskeySignIn } from '../pages/passkey-sign-in.js';
import { formOf, single } from '../plugins/form-body.js';
import type { AccountDeps } from './account.js';
import { csrfFailure } from './login.js';
import { PASSKEY_AMR, parsePasskeyResponse } from './login-passkey.js';

const BAD_CREDENTIALS = 'Incorrect username or password.';

export function registerAccountLogin(app: FastifyInstance, deps: AccountDeps): void {
  const { cookies } = deps;

  async function showForm(
    request: FastifyRequest,
    reply: FastifyReply,
    input: { username: string | null; error: string | null; status?: number },
  ): Promise<FastifyReply> {
    const csrfToken = cookies.csrfSecret(request, reply);
    const ceremony = await deps.passkeys.authenticationOptions(hashBrowserSecret(csrfToken));
    return sendPage(reply, {
      title: 'Sign in',
      status: input.status ?? 200,
      scripts: [WEBAUTHN_BUNDLE_PATH, PASSKEY_SIGN_IN_PATH],
      body: renderAccountSignInPage({
        csrfToken,
        username: input.username,
        error: input.error,
        passkey: renderPasskeySignIn({
          action: '/account/login/passkey',
          options: ceremony.options,
          state: ceremony.state,
          csrfToken,
        }),
      }),
    });
  }

  async function startSession(
    request: FastifyRequest,
    reply: FastifyReply,
    user: UserRecord,
    amr: string[],
    method: string,
  ): Promise<FastifyReply> {
    const previous = await deps.sessions.resolve(cookies.sessionSecret(request));
    if (previous !== undefined && previous.user.id !== user.id) {
      await deps.sessions.end({ id: previous.record.id }, user.id);
    }
    const started = await deps.sessions.start(user, {
      amr,
      userAgent: request.headers['user-agent'] ?? null,
      ip: request.ip,
    });
    cookies.setSession(reply, started.secret, deps.sessionMaxAge);
    deps.audit.record({
      type: 'login.succeeded',
      actor: user.id,
      subject: started.session.id,
      data: { clientId: null, method },
      requestId: request.id,
    });
    return reply.code(303).header('location', '/account').send();
  }

  app.get('/account/login', { config: { page: true } }, async (request, reply) => {
    if ((await deps.sessions.resolve(cookies.sessionSecret(request))) !== undefined) {
      return reply.code(303).header('location', '/account').send();
    }
    return showForm(request, reply, { username: null, error: null });
  });

  app.post('/account/login', { config: { page: true } }, async (request, reply) => {
    const body = formOf(request);
    if (!cookies.checkCsrf(request, single(body, 'csrf_token'))) {
      throw csrfFailure();
    }
    const username = (single(body, 'username') ?? '').slice(0, 256);
    const key = normalizeUsername(username);
    const attempt = await deps.throttle.take(key, request.ip);
    if (!attempt.allowed) {
      reply.header('retry-after', String(attempt.retryAfter));
      return showForm(request, reply, {
        username,
        error: `Too many attempts. Wait ${attempt.retryAfter} seconds and try again.`,
        status: 429,
      });
    }
    let user: UserRecord | undefined;
    try {
      user =
        username === '' ? undefined : await deps.users.authenticate(username, single(body, 'password') ?? '');
    } catch (error) {
      if (isOAuthError(error) && error.code === 'temporarily_unavailable') {
        reply.header('retry-after', String(error.retryAfter ?? 1));
        return showForm(request, reply, {
          username,
          error: 'Too many people are signing in. Try again.',
          status: 503,
        });
      }
      throw error;
    }
    if (user === undefined) {
      const target = key === '' ? undefined : await deps.users.findByUsername(key);
      deps.audit.record({
        type: 'login.failed',
        actor: 'anonymous',
        subject: target?.id ?? null,
        data: { ip: request.ip, knownUser: target !== undefined },
        requestId: request.id,
      });
      return showForm(request, reply, { username, error: BAD_CREDENTIALS, status: 400 });
    }
    await deps.throttle.recordSuccess(key, request.ip);
    return startSession(request, reply, user, ['pwd'], 'password');
  });

  app.post('/account/login/passkey', { config: { page: true } }, async (request, reply) => {
    const body = formOf(request);
    const csrf = single(body, 'csrf_token');
    if (!cookies.checkCsrf(request, csrf)) {
      throw csrfFailure();
    }
    const { user, passkey } = await deps.passkeys.authenticate(
      { state: single(body, 'state') ?? '', response: parsePasskeyResponse(single(body, 'response')) },
      hashBrowserSecret(csrf ?? ''),
      { ip: request.ip, requestId: request.id },
    );
    return startSession(request, reply, user, [...PASSKEY_AMR], `passkey ${passkey.id}`);
  });
}
