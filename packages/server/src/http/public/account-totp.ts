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
import { sendPage, type Words } from '../pages/layout.js';
import { t } from '../pages/texts/index.js';
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

  /** Refuses on the page (403) when the sign-in is older than `freshAuth`; `key` says what for. */
  function refuseStale(
    request: FastifyRequest,
    reply: FastifyReply,
    session: Signed,
    key: 'totp.freshCodes' | 'totp.freshRemove',
  ): Promise<FastifyReply> | undefined {
    if (deps.clock.now() - session.record.authTime <= deps.freshAuth) {
      return undefined;
    }
    const minutes = String(Math.round(deps.freshAuth / 60));
    return status(request, reply, session, { error: t(key, { minutes }), status: 403 });
  }

  async function status(
    request: FastifyRequest,
    reply: FastifyReply,
    session: Signed,
    extra: { error?: Words; notice?: Words; status?: number } = {},
  ): Promise<FastifyReply> {
    const enrolled = await deps.totp.enrolled(session.user.id);
    return sendPage(reply, {
      title: t('account.authenticator'),
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
    error: Words | null,
  ): Promise<FastifyReply> {
    const qrSvg = await QRCode.toString(enrolment.uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return sendPage(reply, {
      title: t('totp.setUp'),
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
        error: t('totp.alreadySet'),
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
        title: t('totp.codesTitle'),
        body: renderRecoveryCodes({ codes, intro: t('totp.turnedOn') }),
      });
    }
    const pending = await deps.totp.pending(session.user);
    if (pending === undefined) {
      return status(request, reply, session, {
        error: t('totp.noSetup'),
        status: 409,
      });
    }
    return enrolPage(request, reply, pending, t('totp.badCode'));
  });

  app.post(`${TOTP_ENROL_PATH}/recovery-codes`, page, async (request, reply) => {
    const session = await signedInPost(request);
    const stale = refuseStale(request, reply, session, 'totp.freshCodes');
    if (stale !== undefined) {
      return stale;
    }
    if (!(await deps.totp.enrolled(session.user.id))) {
      return status(request, reply, session, { error: t('totp.notSet'), status: 409 });
    }
    const codes = await deps.recoveryCodes.generate(session.user.id, session.user.id);
    return sendPage(reply, {
      title: t('totp.codesTitle'),
      body: renderRecoveryCodes({ codes, intro: t('totp.replaced') }),
    });
  });

  app.post(`${TOTP_ENROL_PATH}/remove`, page, async (request, reply) => {
    const session = await signedInPost(request);
    const stale = refuseStale(request, reply, session, 'totp.freshRemove');
    if (stale !== undefined) {
      return stale;
    }
    const others = (await deps.secondFactors.enrolledFor(session.user.id)).filter(
      (factor) => factor.name !== 'totp',
    );
    if ((deps.requireMfa || session.user.mfaRequired) && others.length === 0) {
      return status(request, reply, session, {
        error: t('totp.lastFactor'),
        status: 409,
      });
    }
    await deps.totp.remove(session.user.id, session.user.id);
    return status(request, reply, session, { notice: t('totp.removed') });
  });
}
