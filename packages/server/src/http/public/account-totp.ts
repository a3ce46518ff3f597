/**
 * `/account/security/totp`: a signed-in person sets up, replaces recovery codes for, or removes
 * their authenticator app (RFC 6238). Same cookie and CSRF rules as the login pages; every POST
 * checks the CSRF token first. Enrolment: `POST` starts it (a pending secret, sealed at rest) and
 * shows the QR code; `POST …/confirm` turns it on with a first code and shows ten recovery codes
 * once. Removing it, or replacing the recovery codes, needs a fresh sign-in (`auth_time` within
 * `login.mfaFreshAuth`); removing the last factor of a person whose policy requires MFA is refused.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import type { Clock } from '../../clock.js';
import type { RecoveryCodes } from '../../users/authn/recovery-codes.js';
import type { SecondFactors } from '../../users/authn/second-factors.js';
import type { TotpEnrolment, TotpService } from '../../users/authn/totp.js';
import type { SessionService } from '../../users/session-service.js';
import type { BrowserCookies } from '../pages/browser-cookies.js';
import { sendPage } from '../pages/layout.js';
import { renderRecoveryCodes, renderTotpEnrol, renderTotpStatus } from '../pages/totp-pages.js';
import { formOf, single } from '../plugins/form-body.js';
import { csrfFailure } from './login.js';
import { TOTP_ENROL_PATH } from './login-second-factor.js';

export interface AccountTotpDeps {
  cookies: BrowserCookies;
  sessions: Pick<SessionService, 'resolve'>;
  totp: TotpService;
  recoveryCodes: RecoveryCodes;
  secondFactors: SecondFactors;
  clock: Clock;
  /** `login.requireMfa`: everyone must keep a second factor. */
  requireMfa: boolean;
  /** Seconds: how recent the sign-in must be to remove a factor or replace recovery codes. */
  freshAuth: number;
}

type Signed = NonNullable<Awaited<ReturnType<SessionService['resolve']>>>;

export function registerAccountTotp(app: FastifyInstance, deps: AccountTotpDeps): void {
  const page = { config: { page: true } };

  async function signedIn(request: FastifyRequest): Promise<Signed> {
    const session = await deps.sessions.resolve(deps.cookies.sessionSecret(request));
    if (session === undefined) {
      throw OAuthError.loginRequired('Sign in first: this page belongs to your account.', { status: 401 });
    }
    return session;
  }

  async function signedInPost(request: FastifyRequest): Promise<Signed> {
    if (!deps.cookies.checkCsrf(request, single(formOf(request), 'csrf_token'))) {
      throw csrfFailure();
    }
    return signedIn(request);
  }

  function requireFresh(session: Signed, what: string): void {
    if (deps.clock.now() - session.record.authTime > deps.freshAuth) {
      throw OAuthError.accessDenied(
        `To ${what}, sign in again first (your last sign-in was more than ${Math.round(deps.freshAuth / 60)} minutes ago).`,
        { status: 403 },
      );
    }
  }

  async function status(
    request: FastifyRequest,
    reply: FastifyReply,
    session: Signed,
    extra: { error?: string; notice?: string; status?: number } = {},
  ): Promise<FastifyReply> {
    const enrolled = await deps.totp.enrolled(session.user.id);
    return sendPage(reply, {
      title: 'Authenticator app',
      status: extra.status ?? 200,
      body: renderTotpStatus({
        username: session.user.username,
        enrolled,
        recoveryCodesLeft: enrolled ? await deps.recoveryCodes.remaining(session.user.id) : 0,
        csrfToken: deps.cookies.csrfSecret(request, reply),
        error: extra.error ?? null,
        notice: extra.notice ?? null,
      }),
    });
  }

  async function enrolPage(
    request: FastifyRequest,
    reply: FastifyReply,
    enrolment: TotpEnrolment,
    error: string | null,
  ): Promise<FastifyReply> {
    const qrSvg = await QRCode.toString(enrolment.uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return sendPage(reply, {
      title: 'Set up an authenticator app',
      status: error === null ? 200 : 400,
      body: renderTotpEnrol({
        qrSvg,
        uri: enrolment.uri,
        secret: enrolment.secret,
        csrfToken: deps.cookies.csrfSecret(request, reply),
        error,
      }),
    });
  }

  app.get(TOTP_ENROL_PATH, page, async (request, reply) => status(request, reply, await signedIn(request)));

  app.post(TOTP_ENROL_PATH, page, async (request, reply) => {
    const session = await signedInPost(request);
    const enrolment = await deps.totp.begin(session.user);
    if (enrolment === undefined) {
      return status(request, reply, session, {
        error: 'An authenticator app is already set up. Remove it first to set up another.',
        status: 409,
      });
    }
    return enrolPage(request, reply, enrolment, null);
  });

  app.post(`${TOTP_ENROL_PATH}/confirm`, page, async (request, reply) => {
    const session = await signedInPost(request);
    const code = (single(formOf(request), 'code') ?? '').slice(0, 16);
    if (await deps.totp.confirm(session.user, code)) {
      const codes = await deps.recoveryCodes.generate(session.user.id, session.user.id);
      return sendPage(reply, {
        title: 'Your recovery codes',
        body: renderRecoveryCodes({
          codes,
          intro: 'Two-step verification is on. From now on you are asked for a code at every sign-in.',
        }),
      });
    }
    const pending = await deps.totp.pending(session.user);
    if (pending === undefined) {
      return status(request, reply, session, {
        error: 'There is no set-up in progress. Start again.',
        status: 409,
      });
    }
    return enrolPage(
      request,
      reply,
      pending,
      'That code is not right. Check the clock of your phone and try the next code.',
    );
  });

  app.post(`${TOTP_ENROL_PATH}/recovery-codes`, page, async (request, reply) => {
    const session = await signedInPost(request);
    requireFresh(session, 'get new recovery codes');
    if (!(await deps.totp.enrolled(session.user.id))) {
      return status(request, reply, session, { error: 'Set up an authenticator app first.', status: 409 });
    }
    const codes = await deps.recoveryCodes.generate(session.user.id, session.user.id);
    return sendPage(reply, {
      title: 'Your recovery codes',
      body: renderRecoveryCodes({ codes, intro: 'New recovery codes: the old ones no longer work.' }),
    });
  });

  app.post(`${TOTP_ENROL_PATH}/remove`, page, async (request, reply) => {
    const session = await signedInPost(request);
    requireFresh(session, 'remove your authenticator app');
    const others = (await deps.secondFactors.enrolledFor(session.user.id)).filter(
      (factor) => factor.name !== 'totp',
    );
    if ((deps.requireMfa || session.user.mfaRequired) && others.length === 0) {
      return status(request, reply, session, {
        error:
          'Your account must keep a second factor, and this is your last one. Add another (a passkey) before removing it.',
        status: 409,
      });
    }
    await deps.totp.remove(session.user.id, session.user.id);
    return status(request, reply, session, { notice: 'The authenticator app was removed.' });
  });
}
