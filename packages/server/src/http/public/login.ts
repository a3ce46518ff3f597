/**
 * `GET /login` shows the sign-in form of an interaction; `POST /login` checks it:
 * CSRF token (double submit, constant time) → interaction (sealed, bound to this browser) →
 * throttle (an attempt taken atomically per IP and per username, exponential backoff) → password
 * (argon2id, a bounded number at once; a dummy hash for unknown users) → the second factor, if the
 * person has one (login-second-factor.ts) → a new session (a fresh secret on every login: no
 * session fixation) → next step.
 * Every failure says the same generic thing: the page never tells whether a username exists.
 */
import { isOAuthError, OAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Interaction } from '../../oauth/authorize/interaction.js';
import { hashBrowserSecret } from '../../oauth/authorize/interaction.js';
import { normalizeUsername } from '../../users/user-service.js';
import { sendPage, type Words } from '../pages/layout.js';
import { renderLoginPage, renderSiweSignIn } from '../pages/login-page.js';
import { PASSKEY_SIGN_IN_PATH, WEBAUTHN_BUNDLE_PATH } from '../pages/passkey-scripts.js';
import { renderPasskeySignIn } from '../pages/passkey-sign-in.js';
import { SIWE_SIGN_IN_PATH } from '../pages/siwe-scripts.js';
import { t } from '../pages/texts/index.js';
import { markShed } from '../plugins/access-log.js';
import { formOf, single } from '../plugins/form-body.js';
import { redirectToExternalLogin } from './login-external.js';
import { clientOf, type LoginFlowDeps, openInteraction } from './login-flow.js';
import { PASSKEY_OPTIONS_PATH } from './login-passkey.js';
import { afterPassword } from './login-second-factor.js';

const BAD_CREDENTIALS = t('login.badCredentials');
const BUSY = t('login.busy');

/** RFC 6749 §10.12 / RFC 9700 §4.7: a form post without the browser's CSRF token is refused. */
export function csrfFailure(): OAuthError {
  return OAuthError.invalidRequest(
    'The form has expired or did not come from this site. Go back and try again.',
    { status: 403 },
  );
}

function queryParam(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function registerLogin(app: FastifyInstance, deps: LoginFlowDeps): void {
  async function showForm(
    reply: FastifyReply,
    http: FastifyRequest,
    input: {
      interaction: Interaction;
      sealed: string;
      clientName: string;
      username: string | null;
      error: Words | null;
      status?: number;
      /** A refusal (busy, throttled): no ceremony on the page; its passkey button fetches one. */
      refused?: boolean;
    },
  ): Promise<FastifyReply> {
    const csrfToken = deps.cookies.csrfSecret(http, reply);
    if (deps.risk?.devices !== undefined) {
      // The device cookie exists before the sign-in it will be scored with.
      deps.cookies.deviceId(http, reply, deps.risk.devices);
    }
    const lazy = input.refused === true && deps.passkeys !== undefined;
    const ceremony = lazy
      ? undefined
      : await deps.passkeys?.authenticationOptions(hashBrowserSecret(csrfToken));
    const scripts = [
      ...(ceremony === undefined && !lazy ? [] : [WEBAUTHN_BUNDLE_PATH, PASSKEY_SIGN_IN_PATH]),
      ...(deps.siwe === undefined ? [] : [SIWE_SIGN_IN_PATH]),
    ];
    return sendPage(reply, {
      title: t('login.title'),
      status: input.status ?? 200,
      uiLocales: input.interaction.request.uiLocales,
      formTargets: [input.interaction.request.redirectUri],
      ...(scripts.length === 0 ? {} : { scripts }),
      ...(deps.siwe === undefined && !lazy ? {} : { connectSelf: true }),
      body: renderLoginPage({
        clientName: input.clientName,
        interaction: input.sealed,
        csrfToken,
        username: input.username,
        error: input.error,
        ...(deps.siwe === undefined
          ? {}
          : { siwe: renderSiweSignIn({ csrfToken, interaction: input.sealed }) }),
        ...(ceremony === undefined && !lazy
          ? {}
          : {
              passkey: renderPasskeySignIn({
                action: '/login/passkey',
                csrfToken,
                hidden: { interaction: input.sealed },
                ...(ceremony === undefined
                  ? { optionsUrl: PASSKEY_OPTIONS_PATH }
                  : { options: ceremony.options, state: ceremony.state }),
              }),
            }),
      }),
    });
  }

  app.get('/login', { config: { page: true } }, async (request, reply) => {
    const sealed = queryParam(request, 'interaction');
    const interaction = openInteraction(deps, request, sealed);
    const client = await clientOf(deps, request, interaction);
    if (deps.external !== undefined) {
      return redirectToExternalLogin(deps, deps.external, reply, {
        sealed: sealed ?? '',
        clientId: client.id,
        loginHint: interaction.request.loginHint,
        uiLocales: interaction.request.uiLocales,
      });
    }
    return showForm(reply, request, {
      interaction,
      sealed: sealed ?? '',
      clientName: client.name,
      username: interaction.request.loginHint,
      error: null,
    });
  });

  app.post('/login', { config: { page: true } }, async (request, reply) => {
    const body = formOf(request);
    if (!deps.cookies.checkCsrf(request, single(body, 'csrf_token'))) {
      throw csrfFailure();
    }
    const sealed = single(body, 'interaction');
    const interaction = openInteraction(deps, request, sealed);
    const client = await clientOf(deps, request, interaction);
    const username = (single(body, 'username') ?? '').slice(0, 256);
    const password = single(body, 'password') ?? '';
    const form = { interaction, sealed: sealed ?? '', clientName: client.name, username };

    if (deps.users.verificationsFull()) {
      // Every password check is taken: refused before the throttle and the database (no password
      // is checked, so no attempt is counted; the same for every username).
      reply.header('retry-after', '1');
      markShed(reply);
      return showForm(reply, request, { ...form, error: BUSY, status: 503, refused: true });
    }
    const key = normalizeUsername(username);
    // The attempt is counted before the password is checked, in one atomic step: parallel guesses
    // cannot all pass one open moment.
    const attempt = await deps.throttle.take(key, request.ip);
    if (!attempt.allowed) {
      const wait = attempt.retryAfter;
      reply.header('retry-after', String(wait));
      reply.header('ratelimit', `"login";r=0;t=${wait}`);
      return showForm(reply, request, {
        ...form,
        error: t('login.tooManyAttempts', { seconds: String(wait) }),
        status: 429,
        refused: true,
      });
    }
    let user: Awaited<ReturnType<typeof deps.users.authenticate>>;
    try {
      user = username === '' ? undefined : await deps.users.authenticate(username, password);
    } catch (error) {
      if (isOAuthError(error) && error.code === 'temporarily_unavailable') {
        // Too many password checks waiting: refused before any argon2 work (bounded memory).
        reply.header('retry-after', String(error.retryAfter ?? 1));
        markShed(reply);
        return showForm(reply, request, { ...form, error: BUSY, status: 503, refused: true });
      }
      throw error;
    }
    if (user === undefined) {
      // The account attacked, by id; what was typed is never recorded (people type passwords into
      // the username field, and the audit trail must hold no secret).
      const target = key === '' ? undefined : await deps.users.findByUsername(key);
      deps.audit.record({
        type: 'login.failed',
        actor: 'anonymous',
        subject: target?.id ?? null,
        data: { ip: request.ip, knownUser: target !== undefined },
        requestId: request.id,
      });
      // Velocity (stuffing, spraying, guessing) for risk-based sign-in.
      deps.risk?.failed({ ip: request.ip, userAgent: request.headers['user-agent'] ?? null }, target?.id);
      return showForm(reply, request, { ...form, error: BAD_CREDENTIALS, status: 400 });
    }
    await deps.throttle.recordSuccess(key, request.ip);

    return afterPassword(deps, request, reply, {
      interaction,
      sealed: sealed ?? '',
      client,
      user,
    });
  });
}
