/**
 * `POST /login/passkey`: the login page's passkey form (WebAuthn L3 §7.2, a discoverable
 * credential, user verification required). CSRF token → interaction (sealed, this browser's) →
 * the assertion, against a challenge issued to this browser and consumed once → a new session
 * whose `amr` says a hardware-bound key and user verification (RFC 8176 `hwk`, `user`; after a
 * correct password on the second-factor page, `pwd` and `mfa` too) → next step.
 * A refused passkey gets an error page before the client is looked at, so the person can go back
 * and try again and the client hears nothing.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hashBrowserSecret } from '../../oauth/authorize/interaction.js';
import { combineAmr } from '../../users/authn/context.js';
import type { PasskeyService } from '../../users/passkey-service.js';
import type { BrowserCookies } from '../pages/browser-cookies.js';
import { formOf, single } from '../plugins/form-body.js';
import { csrfFailure } from './login.js';
import { clientOf, type LoginFlowDeps, openInteraction } from './login-flow.js';
import { finishLogin, PENDING_TTL } from './login-second-factor.js';

/** RFC 8176: a hardware-bound key, with user verification (a fingerprint, a face, a PIN). */
export const PASSKEY_AMR = Object.freeze(['hwk', 'user']);

/** The response field of a passkey form, parsed; a bounded size, JSON only. */
export function parsePasskeyResponse(text: string | undefined): unknown {
  if (text === undefined || text === '' || text.length > 16_384) {
    throw OAuthError.invalidRequest('The passkey response is missing.');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw OAuthError.invalidRequest('The passkey response is malformed.');
  }
}

/** Where a sign-in page without a ceremony (one refused under load) fetches one. */
export const PASSKEY_OPTIONS_PATH = '/login/passkey/options';
export const ACCOUNT_PASSKEY_OPTIONS_PATH = '/account/login/passkey/options';

/**
 * `POST …/passkey/options`: a passkey sign-in ceremony for a page sent without one. A sign-in
 * refused under load (503, 429) gets no challenge nor sealed state (the costliest part of the
 * page); its passkey button fetches them here when pressed: the same options and state a page
 * carries, bound to this browser's CSRF cookie, after the same CSRF check as every form post.
 * A passkey sign-in needs no password check, so it is the way in while the argon2 bound is full.
 */
export async function sendPasskeyOptions(
  deps: { passkeys: PasskeyService; cookies: BrowserCookies },
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const csrf = single(formOf(request), 'csrf_token');
  if (!deps.cookies.checkCsrf(request, csrf)) {
    throw csrfFailure();
  }
  const ceremony = await deps.passkeys.authenticationOptions(hashBrowserSecret(csrf ?? ''));
  return reply
    .header('cache-control', 'no-store')
    .type('application/json')
    .send({ options: ceremony.options, state: ceremony.state });
}

export function registerLoginPasskey(
  app: FastifyInstance,
  deps: LoginFlowDeps & { passkeys: PasskeyService },
): void {
  app.post(PASSKEY_OPTIONS_PATH, { config: { page: true } }, (request, reply) =>
    sendPasskeyOptions(deps, request, reply),
  );
  app.post('/login/passkey', { config: { page: true } }, async (request, reply) => {
    const body = formOf(request);
    const csrf = single(body, 'csrf_token');
    if (!deps.cookies.checkCsrf(request, csrf)) {
      throw csrfFailure();
    }
    const sealed = single(body, 'interaction');
    const interaction = openInteraction(deps, request, sealed);
    const { user, passkey } = await deps.passkeys.authenticate(
      { state: single(body, 'state') ?? '', response: parsePasskeyResponse(single(body, 'response')) },
      hashBrowserSecret(csrf ?? ''),
      { ip: request.ip, requestId: request.id },
    );
    const client = await clientOf(deps, request, interaction);
    // After a correct password (the second-factor step), the passkey is the second factor too.
    const pending = interaction.pendingLogin;
    const afterPassword =
      pending !== undefined && pending.userId === user.id && deps.clock.now() - pending.at <= PENDING_TTL;
    deps.audit.record({
      type: 'passkey.used',
      actor: user.id,
      subject: passkey.id,
      data: { clientId: client.id, afterPassword },
      requestId: request.id,
    });
    return finishLogin(deps, request, reply, {
      interaction,
      sealed: sealed ?? '',
      client,
      user,
      amr: afterPassword ? combineAmr(pending.amr, PASSKEY_AMR) : [...PASSKEY_AMR],
    });
  });
}
