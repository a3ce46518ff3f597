/**
 * The verification page (RFC 8628 §3.3). `GET /device` asks for the code (pre-filled from
 * `verification_uri_complete`, never acted on without the person's submit, §5.4); `POST /device`
 * checks it: CSRF → a throttled attempt per address (§5.1) → the pending request it names → a
 * browser-bound ticket. `GET /device/confirm` sends a person who is not signed in through the
 * normal login (and back), then shows which application on which device asks for what;
 * `POST /device/confirm` records Allow or Deny once.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DeviceFlow } from '../../oauth/device/device-flow.js';
import type { VerificationTicket, VerificationTicketSealer } from '../../oauth/device/verification-ticket.js';
import type { AttemptStore, DeviceAuthorizationRecord } from '../../store/ports.js';
import { renderDeviceCodePage, renderDeviceConfirmPage } from '../pages/device-page.js';
import { sendPage, type Words } from '../pages/layout.js';
import { renderMessage } from '../pages/message-page.js';
import { t } from '../pages/texts/index.js';
import { formOf, single } from '../plugins/form-body.js';
import { csrfFailure } from './login.js';
import { type LoginFlowDeps, loginAndReturn } from './login-flow.js';

export interface DevicePageDeps {
  login: LoginFlowDeps;
  flow: DeviceFlow;
  tickets: VerificationTicketSealer;
  attempts: Pick<AttemptStore, 'takeAttempt' | 'refundAttempt'>;
  /** Wrong codes per address before each further try waits (doubling up to `maxBackoff`). */
  freeAttempts: number;
  maxBackoff: number;
  /** Seconds a ticket lives (at most as long as its request). */
  ticketTtl: number;
}

const WRONG_CODE = t('device.wrongCode');
const GONE = t('device.gone');

function queryParam(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isLive(
  record: DeviceAuthorizationRecord | undefined,
  now: number,
): record is DeviceAuthorizationRecord {
  return record !== undefined && record.status === 'pending' && record.expiresAt > now;
}

export function registerDevicePages(app: FastifyInstance, deps: DevicePageDeps): void {
  const { login } = deps;
  const codeForm = (
    request: FastifyRequest,
    reply: FastifyReply,
    userCode: string,
    error: Words | null,
    status = 200,
  ) =>
    sendPage(reply, {
      title: t('device.title'),
      status,
      body: renderDeviceCodePage({ userCode, csrfToken: login.cookies.csrfSecret(request, reply), error }),
    });
  const gone = (reply: FastifyReply) =>
    sendPage(reply, {
      title: t('device.goneTitle'),
      status: 400,
      body: renderMessage(t('device.goneTitle'), GONE),
    });

  app.get('/device', { config: { page: true } }, async (request, reply) =>
    codeForm(request, reply, (queryParam(request, 'user_code') ?? '').slice(0, 20), null),
  );

  app.post('/device', { config: { page: true } }, async (request, reply) => {
    const body = formOf(request);
    if (!login.cookies.checkCsrf(request, single(body, 'csrf_token'))) {
      throw csrfFailure();
    }
    const typed = (single(body, 'user_code') ?? '').slice(0, 64);
    // RFC 8628 §5.1: the attempt is taken before the code is looked up, atomically in the store.
    const key = `device:ip:${request.ip}`;
    const attempt = await deps.attempts.takeAttempt({
      key,
      now: login.clock.now(),
      freeAttempts: deps.freeAttempts,
      maxBackoff: deps.maxBackoff,
      window: 3600,
    });
    if (!attempt.allowed) {
      reply.header('retry-after', String(attempt.retryAfter));
      return codeForm(
        request,
        reply,
        typed,
        `Too many attempts. Wait ${attempt.retryAfter} seconds and try again.`,
        429,
      );
    }
    const found = await deps.flow.find(typed);
    if (found.status !== 'found') {
      return codeForm(request, reply, typed, WRONG_CODE, 400);
    }
    // A right code gives the address its attempt back (its earlier misses still count).
    await deps.attempts.refundAttempt(key);
    const now = login.clock.now();
    const ticket = deps.tickets.create(
      found.record.id,
      login.cookies.csrfSecret(request, reply),
      Math.min(found.record.expiresAt, now + deps.ticketTtl),
    );
    return reply
      .code(303)
      .header('location', `${login.issuer}/device/confirm?ticket=${encodeURIComponent(ticket)}`)
      .send();
  });

  /** The ticket, its request (still pending) and its client; or the reply already sent. */
  async function openTicket(request: FastifyRequest, reply: FastifyReply, sealed: string | undefined) {
    const now = login.clock.now();
    const ticket: VerificationTicket | undefined =
      sealed === undefined ? undefined : deps.tickets.open(sealed, login.cookies.presentedCsrf(request), now);
    const record = ticket === undefined ? undefined : await deps.flow.findById(ticket.requestId);
    if (!isLive(record, now)) {
      return { sent: gone(reply) } as const;
    }
    const client = await login.clients.get(record.clientId);
    if (client === undefined || client.disabled) {
      return { sent: gone(reply) } as const;
    }
    const session = await login.sessions.resolve(login.cookies.sessionSecret(request));
    if (session === undefined) {
      // The normal login (throttle, and whatever factors it asks for), then back here.
      return {
        sent: loginAndReturn(login, request, reply, {
          client,
          scope: record.scope,
          returnTo: `/device/confirm?ticket=${encodeURIComponent(sealed ?? '')}`,
        }),
      } as const;
    }
    return { record, client, session, sealed: sealed ?? '' } as const;
  }

  app.get('/device/confirm', { config: { page: true } }, async (request, reply) => {
    const opened = await openTicket(request, reply, queryParam(request, 'ticket'));
    if ('sent' in opened) {
      return opened.sent;
    }
    return sendPage(reply, {
      title: t('device.confirmTitle'),
      body: renderDeviceConfirmPage({
        clientName: opened.client.name,
        deviceInfo: opened.record.deviceInfo,
        username: opened.session.user.username,
        scope: opened.record.scope,
        ticket: opened.sealed,
        csrfToken: login.cookies.csrfSecret(request, reply),
      }),
    });
  });

  app.post('/device/confirm', { config: { page: true } }, async (request, reply) => {
    const body = formOf(request);
    if (!login.cookies.checkCsrf(request, single(body, 'csrf_token'))) {
      throw csrfFailure();
    }
    const opened = await openTicket(request, reply, single(body, 'ticket'));
    if ('sent' in opened) {
      return opened.sent;
    }
    const { record, client, session } = opened;
    if (single(body, 'decision') !== 'allow') {
      await deps.flow.deny(record, session.user.id, request.id);
      return sendPage(reply, {
        title: t('device.deniedTitle'),
        body: renderMessage(t('device.deniedTitle'), t('device.denied', { client: client.name })),
      });
    }
    if (!(await deps.flow.approve(record, client, session.record, request.id))) {
      return gone(reply);
    }
    return sendPage(reply, {
      title: t('device.connectedTitle'),
      body: renderMessage(t('device.connectedTitle'), t('device.connected', { client: client.name })),
    });
  });
}
