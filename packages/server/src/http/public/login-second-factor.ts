/**
 * The second step of a password sign-in. After a correct password, a person with a
 * second factor gets the second-factor form instead of a session: the interaction is resealed with
 * the pending login (who, `amr` so far, when), bound to this browser like every interaction.
 * `POST /login/second-factor`: CSRF → interaction with a pending login (fresh) → throttle (the
 * login throttle, keyed by the person: a known password does not buy unlimited code guesses) →
 * the second-factor registry → a session with `amr` pwd + the factor's + mfa (RFC 8176 §2).
 * A person who must use MFA (policy) but has no factor gets a password session, only to reach the
 * enrolment page, and no code for the client.
 * With risk-based sign-in (`risk.enabled`), no session is granted before the sign-in is scored
 * ({@link grantSession}): a step-up sends the person to this same second-factor page (a passkey or
 * TOTP), a person with neither or a denied sign-in gets a refusal page; `risk.secondFactor: on_risk`
 * asks a person with a factor for it only then.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hashBrowserSecret, type Interaction } from '../../oauth/authorize/interaction.js';
import type { ClientRecord, UserRecord } from '../../store/ports.js';
import { acrFor, combineAmr, satisfiesAcr } from '../../users/authn/context.js';
import { type Html, sendPage, type Words } from '../pages/layout.js';
import { PASSKEY_SIGN_IN_PATH, WEBAUTHN_BUNDLE_PATH } from '../pages/passkey-scripts.js';
import { renderPasskeySignIn } from '../pages/passkey-sign-in.js';
import { sendRiskRefusal } from '../pages/risk-refused-page.js';
import { renderEnrolRequired, renderSecondFactorPage } from '../pages/second-factor-page.js';
import { t } from '../pages/texts/index.js';
import { formOf, single } from '../plugins/form-body.js';
import { csrfFailure } from './login.js';
import {
  clientOf,
  interactionExpired,
  type LoginFlowDeps,
  openInteraction,
  proceed,
  wantedAcrFor,
} from './login-flow.js';

/** A password step older than this must be done again. */
export const PENDING_TTL = 300;
const BAD_CODE = t('mfa.badCode');
export const TOTP_ENROL_PATH = '/account/security/totp';

export interface SignedInContext {
  interaction: Interaction;
  sealed: string;
  client: ClientRecord;
  user: UserRecord;
}

const throttleKey = (userId: string) => `mfa:${userId}`;

async function showSecondFactor(
  deps: LoginFlowDeps,
  http: FastifyRequest,
  reply: FastifyReply,
  ctx: {
    interaction: Interaction;
    sealed: string;
    client: ClientRecord;
    user: UserRecord;
    error: Words | null;
    status?: number;
  },
): Promise<FastifyReply> {
  const csrfToken = deps.cookies.csrfSecret(http, reply);
  const passkey = await passkeyOption(deps, ctx.user, { csrfToken, sealed: ctx.sealed });
  return sendPage(reply, {
    title: t('mfa.title'),
    status: ctx.status ?? 200,
    uiLocales: ctx.interaction.request.uiLocales,
    formTargets: [ctx.interaction.request.redirectUri],
    ...(passkey === undefined ? {} : { scripts: [WEBAUTHN_BUNDLE_PATH, PASSKEY_SIGN_IN_PATH] }),
    body: renderSecondFactorPage({
      clientName: ctx.client.name,
      interaction: ctx.sealed,
      csrfToken,
      error: ctx.error,
      codes: (await deps.secondFactors.all.get('totp')?.enrolled(ctx.user.id)) ?? true,
      ...(passkey === undefined ? {} : { passkey }),
    }),
  });
}

/** A person with a passkey may use it as the second step (it posts to /login/passkey). */
async function passkeyOption(
  deps: LoginFlowDeps,
  user: UserRecord,
  page: { csrfToken: string; sealed: string },
): Promise<Html | undefined> {
  if (deps.passkeys === undefined || (await deps.passkeys.list(user.id)).length === 0) {
    return undefined;
  }
  const ceremony = await deps.passkeys.authenticationOptions(hashBrowserSecret(page.csrfToken));
  return renderPasskeySignIn({
    action: '/login/passkey',
    options: ceremony.options,
    state: ceremony.state,
    csrfToken: page.csrfToken,
    hidden: { interaction: page.sealed },
  });
}

/** Asks for a second factor before a password (or wallet) sign-in gets its session. */
function askSecondFactor(
  deps: LoginFlowDeps,
  http: FastifyRequest,
  reply: FastifyReply,
  ctx: SignedInContext & { amr: string[] },
): Promise<FastifyReply> {
  const sealed = deps.sealer.reseal({
    ...ctx.interaction,
    pendingLogin: { userId: ctx.user.id, amr: ctx.amr, at: deps.clock.now() },
  });
  return showSecondFactor(deps, http, reply, { ...ctx, sealed, error: null });
}

/**
 * A new session for the person with these methods, once risk-based sign-in (if on) lets it be:
 * otherwise the reply that asks for the step-up or refuses. A granted session joins the person's
 * risk history.
 */
async function grantSession(
  deps: LoginFlowDeps,
  http: FastifyRequest,
  reply: FastifyReply,
  ctx: SignedInContext & { amr: string[] },
): Promise<{ started: Awaited<ReturnType<LoginFlowDeps['sessions']['start']>> } | { reply: FastifyReply }> {
  const { user } = ctx;
  const context = { ip: http.ip, userAgent: http.headers['user-agent'] ?? null, amr: ctx.amr };
  const devices = deps.risk?.devices;
  const device = devices === undefined ? {} : { deviceId: deps.cookies.deviceId(http, reply, devices) };
  if (deps.risk !== undefined) {
    const factors = await deps.secondFactors.enrolledFor(user.id);
    const { outcome } = await deps.risk.check(user, {
      ...context,
      ...device,
      requestId: http.id,
      hasSecondFactor: factors.length > 0,
    });
    if (outcome === 'second_factor') {
      return { reply: await askSecondFactor(deps, http, reply, ctx) };
    }
    if (outcome !== 'proceed') {
      return { reply: sendRiskRefusal(reply, outcome, `${deps.issuer}/account`) };
    }
  }
  const started = await deps.sessions.start(user, { ...context, amr: ctx.amr });
  await deps.risk?.learn(user, { ...context, ...device }, started.session.id);
  deps.cookies.setSession(reply, started.secret, deps.sessionMaxAge);
  return { started };
}

/** A session for the person with these methods, then the next step of the authorization request. */
export async function finishLogin(
  deps: LoginFlowDeps,
  http: FastifyRequest,
  reply: FastifyReply,
  ctx: SignedInContext & { amr: string[] },
): Promise<FastifyReply> {
  const { user, client } = ctx;
  // A new session (fresh secret) for every login. A previous session of another user in this
  // browser ends; one of the same user is left to expire, so its apps keep their refresh tokens.
  const previous = await deps.sessions.resolve(deps.cookies.sessionSecret(http));
  const granted = await grantSession(deps, http, reply, ctx);
  if ('reply' in granted) {
    return granted.reply;
  }
  if (previous !== undefined && previous.user.id !== user.id) {
    await deps.sessions.end({ id: previous.record.id }, user.id);
  }
  const { started } = granted;
  deps.audit.record({
    type: 'login.succeeded',
    actor: user.id,
    subject: started.session.id,
    data: { clientId: client.id, amr: ctx.amr },
    requestId: http.id,
  });
  const { amr: _amr, ...rest } = ctx;
  return proceed(deps, http, reply, {
    request: rest.interaction.request,
    client,
    session: { record: started.session, user },
    consentGiven: false,
    interaction: { record: rest.interaction, sealed: rest.sealed },
    freshLogin: true,
  });
}

/** The password was right: ask for the second factor, send the person to enrol, or sign them in. */
export async function afterPassword(
  deps: LoginFlowDeps,
  http: FastifyRequest,
  reply: FastifyReply,
  ctx: SignedInContext,
): Promise<FastifyReply> {
  const factors = await deps.secondFactors.enrolledFor(ctx.user.id);
  const wanted = wantedAcrFor(deps, ctx.interaction.request, ctx.client, ctx.user);
  const passwordEnough = satisfiesAcr(acrFor(['pwd']), wanted);
  // `risk.secondFactor: on_risk`: the factor only when the risk (grantSession) or the policy asks.
  if (factors.length > 0 && (deps.risk?.secondFactor !== 'on_risk' || !passwordEnough)) {
    return askSecondFactor(deps, http, reply, { ...ctx, amr: ['pwd'] });
  }
  if (!passwordEnough) {
    // A password session lets the person reach the enrolment page; the client gets nothing yet.
    const granted = await grantSession(deps, http, reply, { ...ctx, amr: ['pwd'] });
    if ('reply' in granted) {
      return granted.reply;
    }
    const { started } = granted;
    deps.audit.record({
      type: 'login.mfa_enrolment_required',
      actor: ctx.user.id,
      subject: started.session.id,
      data: { clientId: ctx.client.id },
      requestId: http.id,
    });
    return sendPage(reply, {
      title: t('mfa.enrolTitle'),
      status: 403,
      uiLocales: ctx.interaction.request.uiLocales,
      body: renderEnrolRequired({
        clientName: ctx.client.name,
        enrolUrl: `${deps.issuer}${TOTP_ENROL_PATH}`,
      }),
    });
  }
  return finishLogin(deps, http, reply, { ...ctx, amr: ['pwd'] });
}

export function registerSecondFactor(app: FastifyInstance, deps: LoginFlowDeps): void {
  app.post('/login/second-factor', { config: { page: true } }, async (request, reply) => {
    const body = formOf(request);
    if (!deps.cookies.checkCsrf(request, single(body, 'csrf_token'))) {
      throw csrfFailure();
    }
    const sealed = single(body, 'interaction') ?? '';
    const interaction = openInteraction(deps, request, sealed);
    const client = await clientOf(deps, request, interaction);
    const pending = interaction.pendingLogin;
    const now = deps.clock.now();
    if (pending === undefined || now - pending.at > PENDING_TTL) {
      throw interactionExpired();
    }
    const user = await deps.users.find(pending.userId);
    if (user === undefined || user.disabled) {
      throw interactionExpired();
    }
    const form = { interaction, sealed, client, user };
    const attempt = await deps.throttle.take(throttleKey(user.id), request.ip);
    if (!attempt.allowed) {
      const wait = attempt.retryAfter;
      reply.header('retry-after', String(wait));
      return showSecondFactor(deps, request, reply, {
        ...form,
        error: t('login.tooManyAttempts', { seconds: String(wait) }),
        status: 429,
      });
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
      return showSecondFactor(deps, request, reply, { ...form, error: BAD_CODE, status: 400 });
    }
    await deps.throttle.recordSuccess(throttleKey(user.id), request.ip);
    return finishLogin(deps, request, reply, {
      interaction,
      sealed,
      client,
      user,
      amr: combineAmr(pending.amr, factor.amr),
    });
  });
}
