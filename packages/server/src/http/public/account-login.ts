/**
 * `/account/login`: signing in to the account page itself, with no application involved. The same
 * rules as the login page: CSRF token, throttle before the password check, the same generic
 * message, a fresh session secret on every sign-in; a person with a second factor gives it after
 * the password (a sealed pending sign-in, bound to this browser, five minutes); or a passkey alone
 * (WebAuthn L3 §7.2). Success goes back to `/account`.
 */
import { hkdfSync } from 'node:crypto';
import { isOAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { seal, UnsealError, unseal } from '../../keys/seal.js';
import { hashBrowserSecret } from '../../oauth/authorize/interaction.js';
import type { UserRecord } from '../../store/ports.js';
import { combineAmr } from '../../users/authn/context.js';
import { SIWE_AMR } from '../../users/authn/siwe.js';
import { normalizeUsername } from '../../users/user-service.js';
import { renderAccountSecondStep, renderAccountSignInPage } from '../pages/account-sign-in-page.js';
import { sendPage, type Words } from '../pages/layout.js';
import { PASSKEY_SIGN_IN_PATH, WEBAUTHN_BUNDLE_PATH } from '../pages/passkey-scripts.js';
import { renderPasskeySignIn } from '../pages/passkey-sign-in.js';
import { sendRiskRefusal } from '../pages/risk-refused-page.js';
import { SIWE_SIGN_IN_PATH } from '../pages/siwe-scripts.js';
import { t } from '../pages/texts/index.js';
import { markShed } from '../plugins/access-log.js';
import { formOf, single } from '../plugins/form-body.js';
import type { AccountDeps } from './account.js';
import { csrfFailure } from './login.js';
import {
  ACCOUNT_PASSKEY_OPTIONS_PATH,
  PASSKEY_AMR,
  parsePasskeyResponse,
  sendPasskeyOptions,
} from './login-passkey.js';

const PENDING_AAD = 'tessera account sign-in v1';
/** Seconds between the password and the second factor. */
const PENDING_TTL = 300;

export function registerAccountLogin(app: FastifyInstance, deps: AccountDeps): void {
  const { cookies } = deps;
  // A key of its own: a pending account sign-in opens as nothing else.
  const pendingKey = Buffer.from(hkdfSync('sha256', deps.masterKey, Buffer.alloc(0), PENDING_AAD, 32));

  async function showForm(
    request: FastifyRequest,
    reply: FastifyReply,
    input: { username: string | null; error: Words | null; status?: number; refused?: boolean },
  ): Promise<FastifyReply> {
    const csrfToken = cookies.csrfSecret(request, reply);
    if (deps.risk?.devices !== undefined) {
      // The device cookie exists before the sign-in it will be scored with.
      cookies.deviceId(request, reply, deps.risk.devices);
    }
    // A refusal (busy, throttled) carries no ceremony: its passkey button fetches one when pressed,
    // so a flood's refusals make no challenge and seal no state each.
    const ceremony =
      input.refused === true
        ? undefined
        : await deps.passkeys.authenticationOptions(hashBrowserSecret(csrfToken));
    return sendPage(reply, {
      title: t('login.title'),
      status: input.status ?? 200,
      scripts: [
        WEBAUTHN_BUNDLE_PATH,
        PASSKEY_SIGN_IN_PATH,
        ...(deps.siwe === undefined ? [] : [SIWE_SIGN_IN_PATH]),
      ],
      ...(deps.siwe === undefined && ceremony !== undefined ? {} : { connectSelf: true }),
      body: renderAccountSignInPage({
        siwe: deps.siwe !== undefined,
        csrfToken,
        username: input.username,
        error: input.error,
        passkey: renderPasskeySignIn({
          action: '/account/login/passkey',
          csrfToken,
          ...(ceremony === undefined
            ? { optionsUrl: ACCOUNT_PASSKEY_OPTIONS_PATH }
            : { options: ceremony.options, state: ceremony.state }),
        }),
      }),
    });
  }

  /** 503: too many password checks at once (the bound in users/bounded-hasher.ts). */
  function showBusy(
    request: FastifyRequest,
    reply: FastifyReply,
    username: string,
    retryAfter: number,
  ): Promise<FastifyReply> {
    reply.header('retry-after', String(retryAfter));
    // Counted in the access log's per-second line (a flood sends thousands a second).
    markShed(reply);
    return showForm(request, reply, { username, error: t('login.busy'), status: 503, refused: true });
  }

  async function startSession(
    request: FastifyRequest,
    reply: FastifyReply,
    user: UserRecord,
    amr: string[],
    method: string,
  ): Promise<FastifyReply> {
    const context = { ip: request.ip, userAgent: request.headers['user-agent'] ?? null, amr };
    const devices = deps.risk?.devices;
    const device = devices === undefined ? {} : { deviceId: cookies.deviceId(request, reply, devices) };
    if (deps.risk !== undefined) {
      // Here a person with a second factor has always given it, so a step-up still due means none.
      const { outcome } = await deps.risk.check(user, {
        ...context,
        ...device,
        requestId: request.id,
        hasSecondFactor: false,
      });
      if (outcome !== 'proceed') {
        return sendRiskRefusal(reply, outcome === 'deny' ? 'deny' : 'no_second_factor', '/account');
      }
    }
    const previous = await deps.sessions.resolve(cookies.sessionSecret(request));
    if (previous !== undefined && previous.user.id !== user.id) {
      await deps.sessions.end({ id: previous.record.id }, user.id);
    }
    const started = await deps.sessions.start(user, context);
    await deps.risk?.learn(user, { ...context, ...device }, started.session.id);
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
    if (deps.users.verificationsFull()) {
      // Every password check is taken: refused before the throttle and the database, as cheaply as
      // possible (no password is checked, so no attempt is counted; the same for every username).
      return showBusy(request, reply, username, 1);
    }
    const key = normalizeUsername(username);
    const attempt = await deps.throttle.take(key, request.ip);
    if (!attempt.allowed) {
      reply.header('retry-after', String(attempt.retryAfter));
      return showForm(request, reply, {
        username,
        error: t('login.tooManyAttempts', { seconds: String(attempt.retryAfter) }),
        status: 429,
        refused: true,
      });
    }
    let user: UserRecord | undefined;
    try {
      user =
        username === '' ? undefined : await deps.users.authenticate(username, single(body, 'password') ?? '');
    } catch (error) {
      if (isOAuthError(error) && error.code === 'temporarily_unavailable') {
        return showBusy(request, reply, username, error.retryAfter ?? 1);
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
      deps.risk?.failed({ ip: request.ip, userAgent: request.headers['user-agent'] ?? null }, target?.id);
      return showForm(request, reply, { username, error: t('login.badCredentials'), status: 400 });
    }
    await deps.throttle.recordSuccess(key, request.ip);
    // A person with a second factor gives it here too: a password alone never manages the account.
    const factors = await deps.secondFactors.enrolledFor(user.id);
    if (factors.length > 0) {
      return showSecondStep(request, reply, user, null);
    }
    return startSession(request, reply, user, ['pwd'], 'password');
  });

  async function showSecondStep(
    request: FastifyRequest,
    reply: FastifyReply,
    user: UserRecord,
    error: Words | null,
    status = 200,
  ): Promise<FastifyReply> {
    const csrfToken = cookies.csrfSecret(request, reply);
    const pending = seal(
      pendingKey,
      JSON.stringify({ userId: user.id, at: deps.clock.now(), browser: hashBrowserSecret(csrfToken) }),
      PENDING_AAD,
    );
    const hasPasskey = (await deps.passkeys.list(user.id)).length > 0;
    const ceremony = hasPasskey
      ? await deps.passkeys.authenticationOptions(hashBrowserSecret(csrfToken))
      : undefined;
    const codes = (await deps.secondFactors.all.get('totp')?.enrolled(user.id)) === true;
    return sendPage(reply, {
      title: t('mfa.title'),
      status,
      ...(ceremony === undefined ? {} : { scripts: [WEBAUTHN_BUNDLE_PATH, PASSKEY_SIGN_IN_PATH] }),
      body: renderAccountSecondStep({
        csrfToken,
        pending,
        error,
        codes,
        passkey:
          ceremony === undefined
            ? undefined
            : renderPasskeySignIn({
                action: '/account/login/passkey',
                options: ceremony.options,
                state: ceremony.state,
                csrfToken,
                hidden: { pending },
              }),
      }),
    });
  }

  /** The pending sign-in of this browser (password checked at most PENDING_TTL ago), or undefined. */
  function openPending(sealed: string | undefined, csrf: string): { userId: string } | undefined {
    if (sealed === undefined || sealed.length > 2048) {
      return undefined;
    }
    try {
      const pending = JSON.parse(unseal(pendingKey, sealed, PENDING_AAD)) as {
        userId: string;
        at: number;
        browser: string;
      };
      const fresh = deps.clock.now() - pending.at <= PENDING_TTL;
      return fresh && pending.browser === hashBrowserSecret(csrf) ? { userId: pending.userId } : undefined;
    } catch (error) {
      if (error instanceof UnsealError || error instanceof SyntaxError) {
        return undefined;
      }
      throw error;
    }
  }

  app.post('/account/login/second-factor', { config: { page: true } }, async (request, reply) => {
    const body = formOf(request);
    const csrf = single(body, 'csrf_token');
    if (!cookies.checkCsrf(request, csrf)) {
      throw csrfFailure();
    }
    const pending = openPending(single(body, 'pending'), csrf ?? '');
    const user = pending === undefined ? undefined : await deps.users.find(pending.userId);
    if (user === undefined || user.disabled) {
      return showForm(request, reply, {
        username: null,
        error: t('account.signInExpired'),
        status: 400,
      });
    }
    const attempt = await deps.throttle.take(`mfa:${user.id}`, request.ip);
    if (!attempt.allowed) {
      reply.header('retry-after', String(attempt.retryAfter));
      const error = t('login.tooManyAttempts', { seconds: String(attempt.retryAfter) });
      return showSecondStep(request, reply, user, error, 429);
    }
    const factor = await deps.secondFactors.verify(user.id, (field) => single(body, field)?.slice(0, 64));
    if (factor === undefined) {
      deps.audit.record({
        type: 'login.second_factor_failed',
        actor: 'anonymous',
        subject: user.id,
        data: { ip: request.ip },
        requestId: request.id,
      });
      return showSecondStep(request, reply, user, t('mfa.badCode'), 400);
    }
    await deps.throttle.recordSuccess(`mfa:${user.id}`, request.ip);
    return startSession(request, reply, user, combineAmr(['pwd'], factor.amr), factor.name);
  });

  app.post(ACCOUNT_PASSKEY_OPTIONS_PATH, { config: { page: true } }, (request, reply) =>
    sendPasskeyOptions(deps, request, reply),
  );

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
    // After the password step, the passkey is the second factor: pwd + hwk + user + mfa.
    const pending = openPending(single(body, 'pending'), csrf ?? '');
    const amr = pending?.userId === user.id ? combineAmr(['pwd'], PASSKEY_AMR) : [...PASSKEY_AMR];
    return startSession(request, reply, user, amr, `passkey ${passkey.id}`);
  });
  // Sign-In with Ethereum (EIP-4361): the same checks and single-use nonce as the login page.
  app.post('/account/login/siwe', { config: { page: true } }, async (request, reply) => {
    const body = formOf(request);
    const csrf = single(body, 'csrf_token');
    if (!cookies.checkCsrf(request, csrf)) {
      throw csrfFailure();
    }
    if (deps.siwe === undefined) {
      return reply.callNotFound();
    }
    const { user } = await deps.siwe.signIn(
      {
        // A form post turns the message's line feeds into CRLF; the wallet signed LF.
        message: (single(body, 'message') ?? '').replace(/\r\n/g, '\n'),
        signature: single(body, 'signature') ?? '',
      },
      hashBrowserSecret(csrf ?? ''),
      { ip: request.ip, requestId: request.id },
    );
    return startSession(request, reply, user, [...SIWE_AMR], 'siwe');
  });
}
